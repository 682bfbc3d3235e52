// SPDX-License-Identifier: GPL-3.0-or-later
// The Matrix dock: the Session's Conv2d on the image's corner as y = M x + b, equal to the
// engine's output on that corner; hovering a row names its output; the transpose swaps rows
// and columns; an invalid layer says why instead of drawing.
#include "convmatrixview.h"
#include "reference_conv.h"
#include "session.h"

#include <QCheckBox>
#include <QSignalSpy>
#include <QtTest>

using namespace convscope;
using namespace convscope::ui;

class ConvMatrixViewTest : public QObject {
    Q_OBJECT
private slots:
    void matrixOnTheCorner_equalsTheEngine()
    {
        Session session;
        QImage img(20, 12, QImage::Format_RGB888);
        for (int y = 0; y < 12; ++y)
            for (int x = 0; x < 20; ++x)
                img.setPixelColor(x, y, QColor(x * 12, y * 20, (x + y) * 7));
        QVERIFY(session.setImage(img, QStringLiteral("test")));
        core::Conv2dParams p = session.params();
        p.outChannels = 2;
        p.kernel = {3, 3};
        p.stride = {2, 1};
        p.padding = {1, 1};
        p.paddingMode = core::PaddingMode::Reflect;
        session.setParams(p);
        ConvMatrixView view(&session);
        view.resize(400, 400);
        QVERIFY(view.matrix());
        const core::ConvMatrix &m = *view.matrix();
        // The 8 x 8 corner, padded to 10 x 10 with 3 channels; 2 x 4 x 8 outputs.
        QCOMPARE(m.paddedShape, (core::Shape{3, 10, 10}));
        QCOMPARE(m.outputShape, (core::Shape{2, 4, 8}));
        QCOMPARE(m.matrix.rows(), 64);
        QCOMPARE(m.matrix.cols(), 300);
        QCOMPARE(m.matrix.nonZeros(), 64 * 27);
        const core::Tensor corner = core::crop(*session.inputTensor(), 0, 0, 8, 8);
        const core::Tensor want =
            core::referenceConv2d(corner, *session.weight(), session.bias().get(), p);
        QCOMPARE(view.output().data.size(), want.data.size());
        for (std::size_t i = 0; i < want.data.size(); ++i)
            QVERIFY2(std::abs(view.output().data[i] - want.data[i]) < 1e-5f,
                     qPrintable(QString::number(i)));

        QSignalSpy hovered(&view, &ConvMatrixView::outputHovered);
        view.setHoveredRow(8 * 4 + 2 * 8 + 5); // out[1, 2, 5]
        QVERIFY(view.caption().contains("row 53 = out[1, 2, 5]"));
        // Its window (rows 3..5, columns 4..6) stays inside the corner: the map's value.
        QVERIFY(view.rowMatchesMap(53));
        QCOMPARE(hovered.count(), 1);
        QCOMPARE(hovered.at(0).at(0).toInt(), 1);
        QCOMPARE(hovered.at(0).at(1).toInt(), 2);
        QCOMPARE(hovered.at(0).at(2).toInt(), 5);
        // out[1, 2, 7] reads column 8, past the corner: the map's value differs, no link.
        QVERIFY(!view.rowMatchesMap(8 * 4 + 2 * 8 + 7));
        view.setHoveredRow(8 * 4 + 2 * 8 + 7);
        QCOMPARE(hovered.count(), 1);
        QVERIFY(view.caption().contains("reaches past the corner"));
        view.setHoveredRow(53);
        QVERIFY(view.caption().contains("27 weights"));
        view.setTransposed(true);
        QVERIFY(view.findChild<QCheckBox *>()->isChecked());
        QVERIFY(view.caption().contains("column 53"));
        view.setHoveredRow(-1);
        QVERIFY(view.caption().contains("M^T: 300 x 64"));
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QVERIFY(view.matrixRect().height() > view.matrixRect().width()); // 300 rows, 64 columns
    }

    void invalidLayer_saysWhy()
    {
        Session session;
        QImage img(10, 10, QImage::Format_RGB888);
        img.fill(Qt::gray);
        QVERIFY(session.setImage(img, QString()));
        core::Conv2dParams p = session.params();
        p.groups = 2; // 3 input channels
        session.setParams(p);
        ConvMatrixView view(&session);
        QVERIFY(!view.matrix());
        QVERIFY(view.caption().contains("not valid"));
    }
};

QTEST_MAIN(ConvMatrixViewTest)
#include "convmatrixview_test.moc"
