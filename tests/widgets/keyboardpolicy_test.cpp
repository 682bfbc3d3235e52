// SPDX-License-Identifier: GPL-3.0-or-later
// The keyboard and wheel policy: the wheel edits a value only in the focused control (an
// unfocused one passes it to the panel that scrolls), Undo typed in a spin box reaches the
// window's undo stack, and Tab leaves a table.
#include "keyboardpolicy.h"

#include <QAction>
#include <QComboBox>
#include <QMainWindow>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QTableWidget>
#include <QTest>
#include <QUndoStack>
#include <QVBoxLayout>
#include <QWheelEvent>
#include <QtTest/qtestspontaneevent.h>

using namespace convscope::ui;

namespace {

// One notch of the wheel over the centre of `w`, as the window system delivers it
// (spontaneous: only then does QApplication give focus by wheel and pass an unhandled
// wheel on to the parent).
void wheel(QWidget *w, int notches)
{
    const QPointF pos = QRectF(w->rect()).center();
    QWheelEvent e(pos, w->mapToGlobal(pos), QPoint(), QPoint(0, 120 * notches), Qt::NoButton,
                  Qt::NoModifier, Qt::NoScrollPhase, false);
    QSpontaneKeyEvent::setSpontaneous(&e);
    qApp->notify(w, &e);
}

// A one-value undo command, like the parameter edits of the window.
class SetValue : public QUndoCommand {
public:
    SetValue(QSpinBox *box, int before, int after) : m_box(box), m_before(before), m_after(after) {}
    void undo() override
    {
        const QSignalBlocker b(m_box);
        m_box->setValue(m_before);
    }
    void redo() override
    {
        const QSignalBlocker b(m_box);
        m_box->setValue(m_after);
    }

private:
    QSpinBox *m_box;
    int m_before, m_after;
};

} // namespace

class KeyboardPolicyTest : public QObject {
    Q_OBJECT
private slots:
    void wheelOverUnfocusedControls_scrollsThePanel();
    void wheelOverFocusedControl_changesItsValue();
    void undoTypedInASpinBox_undoesThatEdit();
    void tab_leavesATable();
};

void KeyboardPolicyTest::wheelOverUnfocusedControls_scrollsThePanel()
{
    KeyboardPolicy policy;
    QScrollArea area;
    auto *panel = new QWidget;
    auto *layout = new QVBoxLayout(panel);
    auto *spin = new QSpinBox;
    spin->setRange(0, 100);
    spin->setValue(50);
    auto *combo = new QComboBox;
    combo->addItems({"a", "b", "c"});
    combo->setCurrentIndex(1);
    auto *slider = new QSlider(Qt::Horizontal);
    slider->setRange(0, 100);
    slider->setValue(50);
    auto *other = new QPushButton("focus sits here");
    layout->addWidget(other);
    layout->addWidget(spin);
    layout->addWidget(combo);
    layout->addWidget(slider);
    layout->addSpacing(2000); // the panel scrolls
    area.setWidget(panel);
    area.resize(300, 300);
    area.show();
    QVERIFY(QTest::qWaitForWindowExposed(&area));
    other->setFocus();

    for (QWidget *w : std::initializer_list<QWidget *>{spin, combo, slider}) {
        QCOMPARE(w->focusPolicy(), Qt::StrongFocus); // the wheel does not take the focus
        area.verticalScrollBar()->setValue(0);
        wheel(w, -1);
        QVERIFY2(area.verticalScrollBar()->value() > 0, w->metaObject()->className());
        QVERIFY(!w->hasFocus());
    }
    QCOMPARE(spin->value(), 50);
    QCOMPARE(combo->currentIndex(), 1);
    QCOMPARE(slider->value(), 50);
}

void KeyboardPolicyTest::wheelOverFocusedControl_changesItsValue()
{
    KeyboardPolicy policy;
    QWidget panel;
    auto *layout = new QVBoxLayout(&panel);
    auto *spin = new QSpinBox;
    spin->setRange(0, 100);
    spin->setValue(50);
    auto *slider = new QSlider(Qt::Horizontal);
    slider->setRange(0, 100);
    slider->setValue(50);
    layout->addWidget(spin);
    layout->addWidget(slider);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QApplication::setActiveWindow(&panel);
    spin->setFocus();
    QTRY_VERIFY(spin->hasFocus());
    wheel(spin, 1);
    QCOMPARE(spin->value(), 51);
    slider->setFocus();
    QTRY_VERIFY(slider->hasFocus());
    wheel(slider, -1);
    QVERIFY(slider->value() != 50);
}

void KeyboardPolicyTest::undoTypedInASpinBox_undoesThatEdit()
{
    KeyboardPolicy policy;
    QMainWindow window;
    QUndoStack stack;
    QAction *undo = stack.createUndoAction(&window);
    undo->setShortcut(QKeySequence::Undo);
    window.addAction(undo);
    auto *central = new QWidget;
    auto *layout = new QVBoxLayout(central);
    auto *spin = new QSpinBox;
    spin->setRange(1, 31);
    spin->setValue(5);
    spin->setKeyboardTracking(false); // as the parameter boxes: typing "12" is one edit
    auto *next = new QSpinBox;
    layout->addWidget(spin);
    layout->addWidget(next);
    window.setCentralWidget(central);
    int last = spin->value();
    connect(spin, &QSpinBox::valueChanged, &window, [&](int v) {
        stack.push(new SetValue(spin, last, v));
        last = v;
    });
    connect(&stack, &QUndoStack::indexChanged, &window, [&] { last = spin->value(); });
    window.show();
    QVERIFY(QTest::qWaitForWindowActive(&window));

    // Type 7, Tab on, Ctrl+Z: back to 5 (the next box's text undo used to swallow the keys).
    spin->setFocus();
    spin->selectAll();
    QTest::keyClicks(spin, "7");
    QTest::keyClick(spin, Qt::Key_Tab);
    QCOMPARE(spin->value(), 7);
    QVERIFY(next->hasFocus());
    QTest::keyClick(next, Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(spin->value(), 5);
    QCOMPARE(stack.index(), 0);

    // Type 9 and press Ctrl+Z at once, without leaving the box: the 9 was an edit, undone.
    spin->setFocus();
    spin->selectAll();
    QTest::keyClicks(spin, "9");
    QTest::keyClick(spin, Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(spin->value(), 5);
    QCOMPARE(stack.count(), 1); // the 9 replaced the undone 7
    QCOMPARE(stack.index(), 0);
}

void KeyboardPolicyTest::tab_leavesATable()
{
    KeyboardPolicy policy;
    QWidget panel;
    auto *layout = new QVBoxLayout(&panel);
    auto *table = new QTableWidget(3, 3);
    auto *after = new QPushButton("after");
    layout->addWidget(table);
    layout->addWidget(after);
    panel.show();
    QVERIFY(QTest::qWaitForWindowActive(&panel));
    QVERIFY(!table->tabKeyNavigation());
    table->setFocus();
    table->setCurrentCell(0, 0);
    QTest::keyClick(table, Qt::Key_Tab);
    QVERIFY(after->hasFocus());
    // The arrows still walk the cells.
    table->setFocus();
    QTest::keyClick(table, Qt::Key_Right);
    QCOMPARE(table->currentColumn(), 1);
}

QTEST_MAIN(KeyboardPolicyTest)
#include "keyboardpolicy_test.moc"
