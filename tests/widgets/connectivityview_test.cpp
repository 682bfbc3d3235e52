// SPDX-License-Identifier: GPL-3.0-or-later
// The connectivity matrix: the painted cells are the (output, input) channel pairs that
// core::inputChannelsOf connects, block diagonal by groups, and it follows parameter edits.
#include "connectivityview.h"

#include "explain.h"
#include "shape.h"

#include <QImage>
#include <QTest>

using namespace convscope;
using namespace convscope::ui;

class ConnectivityViewTest : public QObject {
    Q_OBJECT
private slots:
    void paintedCellsMatchInputChannelsOf_data();
    void paintedCellsMatchInputChannelsOf();
    void invalidGroupsDrawNoMatrix();
};

void ConnectivityViewTest::paintedCellsMatchInputChannelsOf_data()
{
    QTest::addColumn<int>("in");
    QTest::addColumn<int>("out");
    QTest::addColumn<int>("groups");
    QTest::newRow("dense") << 3 << 8 << 1;
    QTest::newRow("groups2") << 4 << 6 << 2;
    QTest::newRow("groups4") << 8 << 8 << 4;
    QTest::newRow("depthwise") << 6 << 6 << 6;
    QTest::newRow("depthwise-x2") << 4 << 8 << 4;
}

void ConnectivityViewTest::paintedCellsMatchInputChannelsOf()
{
    QFETCH(int, in);
    QFETCH(int, out);
    QFETCH(int, groups);
    ConnectivityView view;
    view.resize(420, 460);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    core::Conv2dParams p;
    p.inChannels = in;
    p.outChannels = out;
    p.groups = groups;
    view.setParams(p); // live update: the view was showing the 1x1 default before
    QVERIFY(view.isValid());
    const QImage shot = view.matrixWidget()->grab().toImage();
    int filled = 0;
    for (int o = 0; o < out; ++o) {
        const core::ChannelRange r = core::inputChannelsOf(p, o);
        // Independent statement of the rule: o's group is o / (out/groups), which reads the
        // inputs whose group i / (in/groups) is the same.
        for (int i = 0; i < in; ++i) {
            const bool expected = o / (out / groups) == i / (in / groups);
            QCOMPARE(i >= r.first && i < r.first + r.count, expected);
            QCOMPARE(view.isConnected(o, i), expected);
            const QRectF cell = view.cellRect(o, i);
            QVERIFY(cell.width() >= 4);
            const QColor painted = shot.pixelColor(cell.center().toPoint());
            const QColor groupColour = ConnectivityView::groupColor(o / (out / groups));
            QCOMPARE(painted == groupColour, expected);
            filled += expected;
        }
    }
    QCOMPARE(filled, out * in / groups);
    QVERIFY2(view.parameterText().contains(QString::number(core::parameterCount(p))),
             qPrintable(view.parameterText()));
    if (groups == in)
        QVERIFY(view.parameterText().contains(QStringLiteral("depthwise")));
}

void ConnectivityViewTest::invalidGroupsDrawNoMatrix()
{
    ConnectivityView view;
    core::Conv2dParams p;
    p.inChannels = 3;
    p.outChannels = 4;
    p.groups = 2;
    view.setParams(p);
    QVERIFY(!view.isValid());
    QVERIFY(!view.isConnected(0, 0));
    QVERIFY(view.cellRect(0, 0).isEmpty());
}

QTEST_MAIN(ConnectivityViewTest)
#include "connectivityview_test.moc"
