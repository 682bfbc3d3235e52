// SPDX-License-Identifier: GPL-3.0-or-later
// The Session's input from an image: a 16-bit image is fed at 16 bits (pixel / 65535),
// its preview too, and an 8-bit one as before; parameters whose tensors would not fit the
// memory budget are an invalid state with the numbers, like any other refusal.
#include "imageinput.h"
#include "session.h"

#include <QtTest>

using namespace convscope::ui;

class SessionTest : public QObject {
    Q_OBJECT
private slots:
    void sixteenBitImage_isFedAtSixteenBits()
    {
        QImage img(40, 30, QImage::Format_RGBA64);
        for (int y = 0; y < 30; ++y)
            for (int x = 0; x < 40; ++x)
                img.setPixelColor(x, y, QColor::fromRgba64(quint16(x * 1000 + 1), 5, 65535));
        Session session;
        QVERIFY(session.setImage(img, QStringLiteral("deep.png")));
        QVERIFY(isSixteenBit(session.image()));
        const auto in = session.inputTensor();
        QVERIFY(in);
        QCOMPARE(in->data[0], 1.0f / 65535.0f); // red of pixel (0, 0); 8 bits would make it 0
        QCOMPARE(in->data[1], 1001.0f / 65535.0f);

        // A preview of a large 16-bit image keeps the 16 bits.
        session.setPreviewLimit(20);
        QCOMPARE(session.previewImage().width(), 20);
        QVERIFY(isSixteenBit(session.previewImage()));
    }

    void eightBitImage_isFedAsPixelOver255()
    {
        QImage img(4, 4, QImage::Format_RGB888);
        img.fill(QColor(51, 102, 255));
        Session session;
        QVERIFY(session.setImage(img, QString()));
        QVERIFY(!isSixteenBit(session.image()));
        QCOMPARE(session.inputTensor()->data[0], 51 * (1.0f / 255.0f));
    }

    void overTheMemoryBudget_isAValidationErrorWithTheNumbers()
    {
        QImage img(600, 600, QImage::Format_RGB888);
        img.fill(QColor(10, 20, 30));
        Session session;
        QVERIFY(session.setImage(img, QString()));
        QVERIFY(!session.validationError());
        qputenv("CONVSCOPE_MEMORY_BUDGET_MB", "1");
        convscope::core::Conv2dParams p = session.params();
        p.outChannels = 4;
        session.setParams(p);
        qunsetenv("CONVSCOPE_MEMORY_BUDGET_MB");
        QVERIFY(session.validationError());
        const QString message = QString::fromStdString(session.validationError()->message);
        QVERIFY2(message.contains("more than the memory budget of 1 MB"), qPrintable(message));
        p.outChannels = 5; // the budget is back to half the machine: computable again
        session.setParams(p);
        QVERIFY(!session.validationError());
    }
};

QTEST_GUILESS_MAIN(SessionTest)
#include "session_test.moc"
