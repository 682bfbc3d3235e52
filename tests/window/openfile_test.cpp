// SPDX-License-Identifier: GPL-3.0-or-later
// `convscope FILE` and a dropped file open what the file is: a session restores its layers
// and parameters, a lesson starts teaching mode, anything else is an image; a broken one
// says why and changes nothing.
#include "exportactions.h"
#include "mainwindow.h"
#include "sessionfile.h"
#include "uitest_util.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using namespace convscope;
using namespace convscope::ui;

class OpenFileTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QVERIFY(m_settings.isValid());
        uitest::isolateSettings(m_settings.path(), "openfile_test");
    }

    void sessionFile_restoresItsParameters()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("lecture.convscope.json");
        {
            auto w = uitest::openTestWindow();
            core::Conv2dParams p = w->session()->params();
            p.outChannels = 5;
            p.stride = {2, 2};
            w->session()->setParams(p);
            QString error;
            QVERIFY2(saveSession(path, sessionStateFor(*w->session(), w->layerStack()), &error),
                     qPrintable(error));
        }
        auto w = uitest::openTestWindow();
        QVERIFY(w->session()->params().outChannels != 5);
        QVERIFY(w->openFile(path));
        QCOMPARE(w->session()->params().outChannels, 5);
        QCOMPARE(w->session()->params().stride, (core::Hw{2, 2}));
        QVERIFY(!w->teachingActive());
    }

    void lessonFile_startsTeachingMode()
    {
        auto w = uitest::openTestWindow();
        QVERIFY(w->openFile(QStringLiteral(":/lessons/01-stride-and-padding.json")));
        QVERIFY(w->teachingActive());
    }

    void imageFile_isOpenedAsTheInput()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("photo.png");
        QVERIFY(uitest::testImage(24, 18).save(path));
        auto w = uitest::openTestWindow();
        QVERIFY(w->openFile(path));
        QCOMPARE(w->session()->image().size(), QSize(24, 18));
    }

    void brokenLesson_isRefusedAndChangesNothing()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath("broken.json");
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{ not json");
        f.close();
        auto w = uitest::openTestWindow();
        const auto before = w->session()->params();
        QVERIFY(!w->openFile(path));
        QVERIFY(!w->teachingActive());
        QVERIFY(w->session()->params() == before);
    }

private:
    QTemporaryDir m_settings;
};

QTEST_MAIN(OpenFileTest)
#include "openfile_test.moc"
