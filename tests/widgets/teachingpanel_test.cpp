// SPDX-License-Identifier: GPL-3.0-or-later
// Teaching mode: driving the panel with the keyboard visits every output position in order
// and the step-through view shows the engine's value; quiz answers typed or clicked are
// checked against the core's arithmetic; lessons step with Page Up / Page Down.
#include "teachingpanel.h"

#include "conv2d.h"
#include "kernels.h"
#include "lesson.h"
#include "shape.h"
#include "stepthroughview.h"

#include <QApplication>
#include <QCheckBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTest>
#include <QTextBrowser>

#include <cmath>
#include <random>

using namespace convscope;
using namespace convscope::ui;

namespace {

// Whole-number weights and bias on a whole-number grid: every sum is exact in float, so the
// engine, the reference and the text on screen agree to the last digit.
std::pair<core::Tensor, core::Tensor> integerWeights(const core::Conv2dParams &p, std::mt19937 &rng)
{
    std::uniform_int_distribution<int> d(-3, 3);
    core::Tensor w(core::weightShape(p));
    for (float &v : w.data)
        v = static_cast<float>(d(rng));
    core::Tensor b({p.outChannels});
    for (float &v : b.data)
        v = static_cast<float>(d(rng));
    return {w, b};
}

void saveShot(QWidget *w, const QString &name)
{
    const QString dir = qEnvironmentVariable("CONVSCOPE_SHOT_DIR");
    if (!dir.isEmpty())
        w->grab().save(QDir(dir).filePath(name));
}

} // namespace

class TeachingPanelTest : public QObject {
    Q_OBJECT
private slots:
    void keyboardStepping_visitsEveryPositionWithTheEngineValue();
    void floatWeights_sumMatchesEngine();
    void playback_runsToTheEndOrLoops();
    void numberQuiz_typedAnswerIsChecked();
    void pixelQuiz_clickedAnswerIsChecked();
    void paddedValueQuiz_oneClickedPixel();
    void lessons_pageDownAndUp();
    void depthwiseQuiz_gridShowsTheAskedChannel();
    void newLesson_resetsTheScore();
    void presentationMode_hidesAuthoringAndEnlarges();
    void savedStep_keepsTheWeightsRecipe();
    void printedProducts_agreeWithPrintedWeights();
};

void TeachingPanelTest::keyboardStepping_visitsEveryPositionWithTheEngineValue()
{
    std::mt19937 rng(8);
    TeachingPanel panel;
    panel.resize(1100, 800);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    LessonInput grid;
    grid.pattern = GridPattern::Digits;
    grid.height = 7;
    grid.width = 6;
    grid.seed = 5;
    int configs = 0;
    for (core::PaddingMode mode : {core::PaddingMode::Zeros, core::PaddingMode::Reflect,
                                   core::PaddingMode::Replicate, core::PaddingMode::Circular})
        for (int stride : {1, 2})
            for (int dilation : {1, 2})
                for (int layout = 0; layout < 3; ++layout) {
                    core::Conv2dParams p;
                    p.kernel = {3, 2};
                    p.stride = {stride, stride};
                    p.dilation = {dilation, 1};
                    p.padding = {2, 1};
                    p.paddingMode = mode;
                    p.inChannels = layout == 0 ? 1 : 2;
                    p.outChannels = layout == 2 ? 4 : 2;
                    p.groups = layout == 0 ? 1 : 2;
                    p.bias = layout != 1;
                    grid.pattern = layout == 1 ? GridPattern::Ramp : GridPattern::Digits;
                    panel.setGridInput(grid);
                    auto [w, b] = integerWeights(p, rng);
                    const std::optional<core::Tensor> bias =
                        p.bias ? std::optional<core::Tensor>(b) : std::nullopt;
                    QVERIFY2(panel.setConfiguration(p, w, bias), qPrintable(panel.problem()));
                    // The engine's output on the same grid, computed here independently.
                    const core::Tensor x = patternTensor(grid, p.inChannels);
                    core::Tensor engine;
                    core::conv2d(x, w, bias ? &*bias : nullptr, p, engine);

                    QTest::keyClick(&panel, Qt::Key_End);
                    QCOMPARE(panel.stepper()->index(), panel.stepper()->count() - 1);
                    QTest::keyClick(&panel, Qt::Key_Home);
                    QCOMPARE(panel.stepper()->index(), 0);
                    QTest::keyClick(&panel, Qt::Key_Left); // stays at the first position
                    QCOMPARE(panel.stepper()->index(), 0);
                    std::int64_t visited = 0;
                    for (std::int64_t o = 0; o < engine.dim(1); ++o)
                        for (std::int64_t y = 0; y < engine.dim(2); ++y)
                            for (std::int64_t xx = 0; xx < engine.dim(3); ++xx) {
                                const auto &f = panel.view()->frame();
                                QVERIFY(f.has_value());
                                QCOMPARE(f->position, (core::OutputPosition{0, o, y, xx}));
                                const float e = engine.at(0, o, y, xx);
                                QCOMPARE(f->sum(), e);
                                QCOMPARE(panel.view()->displayedSum(), panel.view()->formatted(e));
                                ++visited;
                                QTest::keyClick(&panel, Qt::Key_Right);
                            }
                    QCOMPARE(visited, panel.stepper()->count());
                    QCOMPARE(panel.stepper()->index(), panel.stepper()->count() - 1);
                    if (configs == 5)
                        saveShot(&panel, "panel-step.png");
                    ++configs;
                }
    QCOMPARE(configs, 48);
}

void TeachingPanelTest::floatWeights_sumMatchesEngine()
{
    TeachingPanel panel;
    panel.resize(900, 700);
    core::Conv2dParams p;
    p.inChannels = 1;
    p.outChannels = 2;
    p.kernel = {3, 3};
    p.paddingKind = core::PaddingKind::Same;
    p.dilation = {2, 2};
    p.paddingMode = core::PaddingMode::Reflect;
    const core::Tensor w = core::kaimingUniformWeights(p, 3);
    const core::Tensor b = core::defaultBias(p, 3);
    LessonInput grid;
    grid.height = grid.width = 8;
    panel.setGridInput(grid);
    QVERIFY(panel.setConfiguration(p, w, b));
    core::Tensor engine;
    core::conv2d(patternTensor(grid, 1), w, &b, p, engine);
    for (std::int64_t i = 0; i < panel.stepper()->count(); ++i) {
        panel.seek(i);
        const auto pos = panel.view()->frame()->position;
        const float e = engine.at(pos.n, pos.o, pos.y, pos.x);
        QVERIFY(std::abs(panel.view()->frame()->sum() - e) <= 1e-5f * std::max(1.0f, std::abs(e)));
        QCOMPARE(panel.view()->displayedSum(),
                 panel.view()->formatted(panel.view()->frame()->sum()));
    }
    panel.show();
    panel.seek(9);
    saveShot(&panel, "panel-float.png");
}

void TeachingPanelTest::playback_runsToTheEndOrLoops()
{
    TeachingPanel panel;
    panel.setStepsPerSecond(16);
    QCOMPARE(panel.stepsPerSecond(), 16.0);
    panel.goFirst();
    panel.play();
    QVERIFY(panel.isPlaying());
    QTRY_VERIFY_WITH_TIMEOUT(!panel.isPlaying(), 10000);
    QCOMPARE(panel.stepper()->index(), panel.stepper()->count() - 1);
    panel.setLoop(true);
    panel.play();
    QTest::qWait(400);
    QVERIFY(panel.isPlaying()); // a loop never ends on its own
    QTest::keyClick(&panel, Qt::Key_Space);
    QVERIFY(!panel.isPlaying());
}

void TeachingPanelTest::numberQuiz_typedAnswerIsChecked()
{
    TeachingPanel panel;
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    core::Conv2dParams p;
    p.kernel = {3, 3};
    p.stride = {2, 2};
    p.padding = {1, 1};
    p.bias = false;
    LessonInput grid;
    grid.height = 7;
    grid.width = 5;
    panel.setGridInput(grid);
    QVERIFY(panel.setConfiguration(p, core::presetWeights(p, core::KernelPreset::BoxBlur),
                                   std::nullopt));
    QVERIFY(panel.ask(core::QuizKind::OutputHeight));
    QVERIFY(panel.view()->isAnswerHidden());
    auto *answer = panel.findChild<QLineEdit *>("answer");
    QVERIFY(answer && answer->isEnabled());
    // floor((7 + 2 - 3) / 2) + 1 = 4
    QTest::keyClicks(answer, "4");
    QTest::keyClick(answer, Qt::Key_Return);
    QCOMPARE(panel.score(), 1);
    QCOMPARE(panel.answered(), 1);
    QVERIFY2(panel.verdictText().startsWith("✔ Correct: 4."), qPrintable(panel.verdictText()));
    QVERIFY(panel.verdictText().contains("floor(6 / 2) + 1 = 4"));
    QVERIFY(!panel.view()->isAnswerHidden());

    QVERIFY(panel.ask(core::QuizKind::OutputWidth)); // floor((5 + 2 - 3) / 2) + 1 = 3
    QTest::keyClicks(answer, "5");
    QTest::keyClick(answer, Qt::Key_Return);
    QCOMPARE(panel.score(), 1);
    QCOMPARE(panel.answered(), 2);
    QVERIFY2(panel.verdictText().startsWith("✘ Not quite: the answer is 3."),
             qPrintable(panel.verdictText()));
    panel.reveal(); // revealing again does not count twice
    QCOMPARE(panel.answered(), 2);

    QVERIFY(panel.ask(core::QuizKind::ParameterCount));
    QTest::keyClicks(answer, "nine"); // not a number: wrong, not a crash
    QTest::keyClick(answer, Qt::Key_Return);
    QCOMPARE(panel.score(), 1);
    QCOMPARE(panel.answered(), 3);
}

void TeachingPanelTest::pixelQuiz_clickedAnswerIsChecked()
{
    TeachingPanel panel;
    panel.resize(1100, 800);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    core::Conv2dParams p;
    p.kernel = {3, 3};
    p.dilation = {2, 2};
    p.padding = {1, 1};
    p.bias = false;
    LessonInput grid;
    grid.height = grid.width = 7;
    panel.setGridInput(grid);
    QVERIFY(
        panel.setConfiguration(p, core::presetWeights(p, core::KernelPreset::Edge), std::nullopt));
    for (int round = 0; round < 2; ++round) {
        QVERIFY(panel.ask(core::QuizKind::ReadPixels));
        const core::Question q = *panel.question();
        const core::Answer right = core::correctAnswer(q);
        QVERIFY(!right.pixels.empty());
        // Round 0 clicks every right pixel; round 1 leaves the first one out.
        for (std::size_t i = round == 0 ? 0 : 1; i < right.pixels.size(); ++i) {
            const QRect r = panel.view()->cellRect(0, right.pixels[i].y, right.pixels[i].x);
            QVERIFY(!r.isEmpty());
            QTest::mouseClick(panel.view(), Qt::LeftButton, {}, r.center());
        }
        if (round == 0)
            saveShot(&panel, "panel-quiz.png");
        QCOMPARE(panel.clickedPixels().size(), right.pixels.size() - (round == 0 ? 0 : 1));
        const auto verdict = panel.reveal();
        QVERIFY(verdict.has_value());
        QCOMPARE(verdict->correct, round == 0);
        // The reveal moves the animation to the asked output, whose window is the answer.
        QCOMPARE(panel.view()->frame()->position, (core::OutputPosition{0, q.channel, q.y, q.x}));
    }
    QCOMPARE(panel.score(), 1);
    QCOMPARE(panel.answered(), 2);
}

void TeachingPanelTest::paddedValueQuiz_oneClickedPixel()
{
    TeachingPanel panel;
    panel.resize(1100, 800);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    core::Conv2dParams p;
    p.kernel = {3, 3};
    p.padding = {2, 2};
    p.paddingMode = core::PaddingMode::Reflect;
    p.bias = false;
    LessonInput grid;
    grid.height = grid.width = 6;
    panel.setGridInput(grid);
    QVERIFY(panel.setConfiguration(p, core::presetWeights(p, core::KernelPreset::Laplacian),
                                   std::nullopt));
    QVERIFY(panel.ask(core::QuizKind::PaddedValue));
    const core::Answer right = core::correctAnswer(*panel.question());
    QCOMPARE(right.pixels.size(), std::size_t(1));
    // A wrong pixel first, then the right one: the later click replaces the earlier.
    const core::Pixel wrong{right.pixels[0].y == 0 ? 1 : 0, right.pixels[0].x};
    QTest::mouseClick(panel.view(), Qt::LeftButton, {},
                      panel.view()->cellRect(0, wrong.y, wrong.x).center());
    QTest::mouseClick(panel.view(), Qt::LeftButton, {},
                      panel.view()->cellRect(0, right.pixels[0].y, right.pixels[0].x).center());
    QCOMPARE(panel.clickedPixels(), right.pixels);
    // Clicking in the padding selects nothing: the answer is always an image pixel.
    QTest::mouseClick(panel.view(), Qt::LeftButton, {}, panel.view()->cellRect(0, -1, -1).center());
    QCOMPARE(panel.clickedPixels(), right.pixels);
    QVERIFY(panel.reveal()->correct);
    QVERIFY(panel.verdictText().contains("mirrors") || panel.verdictText().contains("inside"));
    // The revealed text also names the value the padded cell holds on this grid.
    const float value = panel.stepper()->input().at(0, 0, right.pixels[0].y, right.pixels[0].x);
    const QString shown = panel.findChild<QTextBrowser *>("quizText")->toPlainText();
    QVERIFY2(shown.contains(
                 QStringLiteral("that is the value %1.").arg(StepThroughView::formatValue(value))),
             qPrintable(shown));
}

void TeachingPanelTest::lessons_pageDownAndUp()
{
    TeachingPanel panel;
    panel.resize(1100, 900);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QString path;
    for (const QString &p : shippedLessonPaths())
        if (p.contains("stride-and-padding"))
            path = p;
    QVERIFY(!path.isEmpty());
    QString error;
    QVERIFY2(panel.openLesson(path, &error), qPrintable(error));
    QCOMPARE(panel.lessonStepIndex(), 0);
    QCOMPARE(panel.params().stride, (core::Hw{1, 1}));
    QVERIFY(panel.question().has_value()); // step 1 asks for H_out
    QCOMPARE(panel.question()->kind, core::QuizKind::OutputHeight);
    QVERIFY(panel.lockedControls().contains("kernel_size"));
    QTest::keyClick(&panel, Qt::Key_PageDown);
    QCOMPARE(panel.lessonStepIndex(), 1);
    QCOMPARE(panel.params().stride, (core::Hw{2, 2}));
    QCOMPARE(panel.stepper()->input().dim(3), 7);
    QCOMPARE(panel.question()->kind, core::QuizKind::OutputWidth);
    QTest::keyClick(&panel, Qt::Key_PageUp);
    QCOMPARE(panel.lessonStepIndex(), 0);
    QTest::keyClick(&panel, Qt::Key_PageUp); // stays on the first step
    QCOMPARE(panel.lessonStepIndex(), 0);
    // Every step of every shipped lesson runs in the panel.
    for (const QString &p : shippedLessonPaths()) {
        QVERIFY2(panel.openLesson(p, &error), qPrintable(error));
        for (int i = 0; i < panel.lesson()->steps.size(); ++i) {
            panel.goToLessonStep(i);
            QCOMPARE(panel.lessonStepIndex(), i);
            QVERIFY2(panel.problem().isEmpty(), qPrintable(panel.problem()));
            QVERIFY(panel.stepper() && panel.stepper()->count() > 0);
        }
    }
    // The current state saved as a step loads back as the same configuration.
    const LessonStep step = panel.currentStateAsStep();
    Lesson l;
    l.title = "t";
    l.steps << step;
    const auto back = parseLesson(lessonToJson(l), "x.json", &error);
    QVERIFY2(back.has_value(), qPrintable(error));
    QCOMPARE(back->steps[0].params, panel.params());
    QCOMPARE(back->steps[0].input, panel.gridInput());
}

// With groups = channels, output channel c reads input channel c only: the class must see
// and click that channel's grid, not the one the animation happened to be at.
void TeachingPanelTest::depthwiseQuiz_gridShowsTheAskedChannel()
{
    TeachingPanel panel;
    panel.resize(1100, 900);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QString path;
    for (const QString &p : shippedLessonPaths())
        if (p.contains("depthwise"))
            path = p;
    QString error;
    QVERIFY2(panel.openLesson(path, &error), qPrintable(error));
    int step = -1;
    for (int i = 0; i < panel.lesson()->steps.size(); ++i)
        if (panel.lesson()->steps[i].params.groups == 3
            && panel.lesson()->steps[i].quiz == core::QuizKind::ReadPixels)
            step = i;
    QVERIFY(step >= 0);
    panel.goToLessonStep(step);
    int otherThanZero = 0;
    for (int round = 0; round < 12; ++round) {
        if (round > 0)
            QVERIFY(panel.ask(core::QuizKind::ReadPixels));
        const core::Question q = *panel.question();
        otherThanZero += q.channel != 0;
        const core::Pixel first = core::correctAnswer(q).pixels.front();
        for (std::int64_t c = 0; c < 3; ++c)
            QVERIFY2(panel.view()->cellRect(c, first.y, first.x).isEmpty() != (c == q.channel),
                     qPrintable(QStringLiteral("asked about out channel %1, grid of input "
                                               "channel %2 drawn: %3")
                                    .arg(q.channel)
                                    .arg(c)
                                    .arg(!panel.view()->cellRect(c, first.y, first.x).isEmpty())));
    }
    QVERIFY(otherThanZero > 0); // the seeds asked about more than channel 0
}

void TeachingPanelTest::newLesson_resetsTheScore()
{
    TeachingPanel panel;
    panel.resize(1100, 900);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QString error;
    QVERIFY2(panel.openLesson(shippedLessonPaths().value(0), &error), qPrintable(error));
    QVERIFY(panel.reveal().has_value()); // step 1's quiz, unanswered: counted wrong
    QCOMPARE(panel.answered(), 1);
    QSignalSpy spy(&panel, &TeachingPanel::scoreChanged);
    QVERIFY2(panel.openLesson(shippedLessonPaths().value(1), &error), qPrintable(error));
    QCOMPARE(panel.score(), 0);
    QCOMPARE(panel.answered(), 0);
    QVERIFY(!spy.isEmpty());
    QCOMPARE(spy.last().value(1).toInt(), 0);
}

void TeachingPanelTest::presentationMode_hidesAuthoringAndEnlarges()
{
    TeachingPanel panel;
    panel.resize(1280, 1040); // maximised on a 1080p screen
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QString error;
    QVERIFY(panel.openLesson(shippedLessonPaths().value(2), &error));
    const qreal before = panel.font().pointSizeF();
    panel.setPresentationMode(true);
    QVERIFY(panel.isPresentationMode());
    QVERIFY2(panel.font().pointSizeF() >= 18,
             qPrintable(QString::number(panel.font().pointSizeF())));
    QVERIFY(panel.font().pointSizeF() > before);
    // On a 1024x768 projector the type shrinks so the lesson still fits: a line is at most a
    // 36th of the window's height.
    panel.resize(1024, 728);
    QTRY_VERIFY(panel.fontMetrics().lineSpacing() <= 728 / 36 + 1);
    QVERIFY(panel.font().pointSizeF() > before);
    panel.resize(1280, 1040);
    QTRY_VERIFY(panel.font().pointSizeF() >= 18);
    QTest::qWait(50);
    saveShot(&panel, "panel-presentation.png");
    panel.setPresentationMode(false);
    QCOMPARE(panel.font().pointSizeF(), before);
}

void TeachingPanelTest::printedProducts_agreeWithPrintedWeights()
{
    // The start-up mix's box blur, 1/27 per tap, on a whole-numbered ramp: every product on
    // screen is the printed input times the printed weight, never "6 x 0.04 = 0.22".
    TeachingPanel panel;
    panel.resize(900, 700);
    core::Conv2dParams p;
    p.kernel = {3, 3};
    p.padding = {1, 1};
    p.bias = false;
    const core::Tensor w(core::weightShape(p), 1.0f / 27.0f);
    LessonInput grid;
    grid.height = grid.width = 6;
    panel.setGridInput(grid);
    QVERIFY(panel.setConfiguration(p, w, std::nullopt));
    StepThroughView *view = panel.view();
    for (std::int64_t i = 0; i < panel.stepper()->count(); ++i) {
        panel.seek(i);
        const std::optional<int> d = view->decimals();
        QVERIFY(d.has_value());
        const double scale = std::pow(10.0, *d);
        for (const core::ExplainTerm &t : view->frame()->explanation.channels[0].terms) {
            const double in = view->formatted(t.input).toDouble();
            const double weight = view->formatted(t.weight).toDouble();
            QVERIFY(weight != 0.0);
            QCOMPARE(view->formatted(std::round(in * weight * scale) / scale),
                     view->formatted(t.product));
        }
    }
    QCOMPARE(view->formatted(double(1.0f / 27.0f)), QStringLiteral("0.037"));
    panel.show();
    panel.seek(9);
    saveShot(&panel, "panel-decimals.png");
    // Every digit on demand.
    auto *exact = panel.findChild<QCheckBox *>(QStringLiteral("exactValues"));
    QVERIFY(exact);
    exact->setChecked(true);
    QVERIFY(!view->decimals().has_value());
    QCOMPARE(view->formatted(double(1.0f / 27.0f)), QString::number(double(1.0f / 27.0f), 'g', 9));
    exact->setChecked(false);
    QVERIFY(view->decimals().has_value());
    QVERIFY(view->productsAgree());

    // Weights no few decimals carry: rounded to 3 and said to be approximate.
    const core::Tensor kaiming = core::kaimingUniformWeights(p, 3);
    QVERIFY(panel.setConfiguration(p, kaiming, std::nullopt));
    panel.seek(9);
    QVERIFY(!view->productsAgree());
    QCOMPARE(view->decimals(), std::optional<int>(3));
}

void TeachingPanelTest::savedStep_keepsTheWeightsRecipe()
{
    TeachingPanel panel;
    core::Conv2dParams p;
    p.kernel = {3, 3};
    p.padding = {1, 1};
    p.bias = true;
    // A preset (zero bias) is found by itself.
    QVERIFY(panel.setConfiguration(p, core::presetWeights(p, core::KernelPreset::SobelY),
                                   core::zeroBias(p)));
    bool kept = false;
    LessonStep s = panel.currentStateAsStep({}, &kept);
    QVERIFY(kept);
    QCOMPARE(s.kernel.preset, std::optional(core::KernelPreset::SobelY));
    // A seeded initialisation needs its seed from the caller.
    QVERIFY(
        panel.setConfiguration(p, core::kaimingUniformWeights(p, 77), core::defaultBias(p, 77)));
    s = panel.currentStateAsStep({}, &kept);
    QVERIFY(!kept);
    LessonKernel seeded;
    seeded.seed = 77;
    s = panel.currentStateAsStep({seeded}, &kept);
    QVERIFY(kept);
    QVERIFY(!s.kernel.preset.has_value());
    QCOMPARE(s.kernel.seed, std::uint64_t(77));
    const auto [w, b] = lessonWeights(s.params, s.kernel);
    QCOMPARE(w, core::kaimingUniformWeights(p, 77));
    // Hand-edited weights cannot be stored as a recipe.
    core::Tensor edited = core::presetWeights(p, core::KernelPreset::SobelY);
    edited.data[4] = 0.5f;
    QVERIFY(panel.setConfiguration(p, edited, core::zeroBias(p)));
    s = panel.currentStateAsStep({seeded}, &kept);
    QVERIFY(!kept);
}

QTEST_MAIN(TeachingPanelTest)
#include "teachingpanel_test.moc"
