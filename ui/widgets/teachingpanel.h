// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// Teaching mode: the step-through animation with its transport (play/pause, step, scrub,
// speed, loop; Space, arrows, Home/End), predict-then-reveal quizzes with a score, and
// lessons (caption, locked controls, Page Up / Page Down between steps, save the current
// state as a step). Owns a core::Stepper for a small input grid (a synthetic pattern or a
// crop of the session's image); the arithmetic is the core's.
#include "lesson.h"
#include "quiz.h"
#include "stepper.h"

#include <QWidget>

#include <memory>
#include <optional>
#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QShortcut;
class QSlider;
class QSpinBox;
class QTimer;
class QToolButton;
class QGroupBox;
class QHBoxLayout;
class QVBoxLayout;
class QTextBrowser;

namespace convscope::ui {

class Session;
class StepThroughView;

class TeachingPanel : public QWidget {
    Q_OBJECT
public:
    explicit TeachingPanel(QWidget *parent = nullptr);
    ~TeachingPanel() override;

    // Follows the session's parameters, weights and image (while "follow" is on). Lesson
    // steps are offered to the window through stepConfigured(), which applies them to the
    // session as undoable edits.
    void attachSession(Session *session);

    // The configuration to step through. The weight is the source of truth for the kernel
    // size; bias nullopt = no bias. Returns false (and shows why) when Conv2d rejects it on
    // the current grid.
    bool setConfiguration(const core::Conv2dParams &params, core::Tensor weight,
                          std::optional<core::Tensor> bias);
    void setGridInput(const LessonInput &input);
    const LessonInput &gridInput() const { return m_input; }
    const core::Conv2dParams &params() const { return m_params; }
    // Why the current configuration cannot be stepped through (empty when it can).
    QString problem() const { return m_problem; }

    StepThroughView *view() const { return m_view; }
    const core::Stepper *stepper() const { return m_stepper.get(); }

    // ---- transport -------------------------------------------------------------------
    void play();
    void pause();
    void togglePlay();
    bool isPlaying() const;
    void stepForward();
    void stepBack();
    void goFirst();
    void goLast();
    void seek(std::int64_t index);
    void setStepsPerSecond(double rate);
    double stepsPerSecond() const { return m_rate; }
    void setLoop(bool loop);
    bool loops() const { return m_loop; }

    // ---- quiz ------------------------------------------------------------------------
    // Asks a question about the current configuration (hides the answer in the view).
    bool ask(core::QuizKind kind);
    const std::optional<core::Question> &question() const { return m_question; }
    // Checks the typed number or the clicked pixels, reveals and explains. Counts towards
    // the score once per question.
    std::optional<core::Verdict> reveal();
    // Gives `given` as the class's answer (typed number or chosen pixels) and reveals.
    std::optional<core::Verdict> revealWith(const core::Answer &given);
    const std::vector<core::Pixel> &clickedPixels() const { return m_clicked; }
    int score() const { return m_score; }
    int answered() const { return m_answered; }
    QString verdictText() const;

    // ---- lessons ---------------------------------------------------------------------
    bool openLesson(const QString &path, QString *error);
    void setLesson(const Lesson &lesson);
    const std::optional<Lesson> &lesson() const { return m_lesson; }
    int lessonStepIndex() const { return m_lessonStep; }
    void goToLessonStep(int index);
    void nextLessonStep();
    void previousLessonStep();
    // The current state as a lesson step (what "Save current state as step" writes). The
    // weights become the first recipe in `candidates`, the lesson step's or a preset that
    // reproduces them exactly; hand-edited weights cannot be stored (*weightsKept = false,
    // the step then uses the identity preset).
    LessonStep currentStateAsStep(const std::vector<LessonKernel> &candidates = {},
                                  bool *weightsKept = nullptr) const;
    // The controls the current lesson step locks (lockableControls() names).
    QStringList lockedControls() const;

    // Projector mode: large fonts, high-contrast palette, only the lesson's panels.
    void setPresentationMode(bool on);
    bool isPresentationMode() const { return m_presentation; }
    // Page Up / Page Down for the whole window (a presenter remote), not just the panel.
    void setLessonKeysWindowWide(bool on);

signals:
    // The stepping moved: the output position on the step-through grid, and the matching
    // position of the full-size output (valid when the grid is a crop of the session's
    // image with the session's configuration; nullopt otherwise).
    void positionChanged(const core::OutputPosition &grid,
                         const std::optional<core::OutputPosition> &fullSize);
    // A lesson step wants this configuration in the main window (only emitted when the
    // session can hold it: 1 or 3 input channels).
    void stepConfigured(const core::Conv2dParams &params, const core::Tensor &weight,
                        const core::Tensor &bias, const QString &description);
    void lockedControlsChanged(const QStringList &locked);
    void lessonChanged();
    void scoreChanged(int score, int answered);

protected:
    void keyPressEvent(QKeyEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void buildUi();
    void rebuild(bool keepIndex);
    void afterMove();
    void syncTransport();
    void syncLessonBar();
    void syncInputControls();
    void fromSession();
    void onPixelClicked(std::int64_t channel, std::int64_t y, std::int64_t x);
    void clearQuestion();
    core::Tensor gridTensor(QString *why) const;
    void applyFonts();
    void renderCaption();
    void showQuizText(const QString &prompt);

    Session *m_session = nullptr;
    bool m_follow = true;
    core::Conv2dParams m_params;
    core::Tensor m_weight;
    std::optional<core::Tensor> m_bias;
    LessonInput m_input;
    std::shared_ptr<core::Stepper> m_stepper;
    QString m_problem;

    double m_rate = 2.0;
    bool m_loop = false;
    bool m_presentation = false;
    int m_fontForHeight = 0; // the window height the presentation font was chosen for

    std::optional<core::Question> m_question;
    std::optional<core::Verdict> m_verdict;
    std::vector<core::Pixel> m_clicked;
    std::uint64_t m_quizSeed = 1;
    int m_score = 0;
    int m_answered = 0;
    bool m_counted = false;

    std::optional<Lesson> m_lesson;
    QString m_captionMarkdown;
    int m_lessonStep = -1;

    // widgets
    StepThroughView *m_view = nullptr;
    QTimer *m_timer = nullptr;
    QWidget *m_lessonBar = nullptr;
    QLabel *m_lessonLabel = nullptr;
    QPushButton *m_prevStep = nullptr;
    QPushButton *m_nextStep = nullptr;
    QLabel *m_caption = nullptr;
    QToolButton *m_first = nullptr;
    QToolButton *m_back = nullptr;
    QToolButton *m_play = nullptr;
    QToolButton *m_forward = nullptr;
    QToolButton *m_last = nullptr;
    QSlider *m_scrub = nullptr;
    QLabel *m_stepLabel = nullptr;
    QComboBox *m_speed = nullptr;
    QCheckBox *m_loopBox = nullptr;
    QCheckBox *m_exactBox = nullptr;
    QWidget *m_inputRow = nullptr;
    QComboBox *m_source = nullptr;
    QSpinBox *m_gridH = nullptr;
    QSpinBox *m_gridW = nullptr;
    QSpinBox *m_cropY = nullptr;
    QSpinBox *m_cropX = nullptr;
    QCheckBox *m_followBox = nullptr;
    QLabel *m_problemLabel = nullptr;
    QGroupBox *m_quizBox = nullptr;
    QHBoxLayout *m_middle = nullptr;
    QVBoxLayout *m_side = nullptr; // the column beside the grid: caption (presenting), quiz
    QComboBox *m_quizKind = nullptr;
    QPushButton *m_ask = nullptr;
    QLineEdit *m_answer = nullptr;
    QPushButton *m_reveal = nullptr;
    QTextBrowser *m_verdictLabel = nullptr;
    QLabel *m_scoreLabel = nullptr;
    QList<QShortcut *> m_lessonKeys;
};

} // namespace convscope::ui
