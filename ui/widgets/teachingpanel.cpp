// SPDX-License-Identifier: GPL-3.0-or-later
#include "teachingpanel.h"

#include "session.h"
#include "shape.h"
#include "stepthroughview.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QShortcut>
#include <QSlider>
#include <QSpinBox>
#include <QStyle>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTextCursor>
#include <QTextDocument>
#include <QTextFragment>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace convscope::ui {

namespace {

const double kSpeeds[] = {0.5, 1, 2, 4, 8, 16};

QString quizTitle(core::QuizKind kind)
{
    switch (kind) {
    case core::QuizKind::OutputHeight: return QObject::tr("What is H_out?");
    case core::QuizKind::OutputWidth: return QObject::tr("What is W_out?");
    case core::QuizKind::ParameterCount: return QObject::tr("How many parameters?");
    case core::QuizKind::ReadPixels: return QObject::tr("Which pixels does an output read?");
    case core::QuizKind::PaddedValue: return QObject::tr("Which pixel does padding copy?");
    case core::QuizKind::CoverageCount: return QObject::tr("How often is a pixel read?");
    case core::QuizKind::UnreadPixels: return QObject::tr("Which pixels are never read?");
    case core::QuizKind::EffectivePixels:
        return QObject::tr("How few pixels carry half the influence?");
    }
    return {};
}

} // namespace

TeachingPanel::TeachingPanel(QWidget *parent) : QWidget(parent)
{
    // A default that shows something at once: 1 -> 1 channel, 3x3 Laplacian on a 6x6 ramp
    // with zero padding 1.
    m_params.kernel = {3, 3};
    m_params.padding = {1, 1};
    m_params.bias = false;
    buildUi();
    setConfiguration(m_params, core::presetWeights(m_params, core::KernelPreset::Laplacian),
                     std::nullopt);
}

TeachingPanel::~TeachingPanel() = default;

void TeachingPanel::buildUi()
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);

    // Lesson bar: previous / title and step / next, then the caption.
    m_lessonBar = new QWidget(this);
    auto *lessonRow = new QHBoxLayout(m_lessonBar);
    lessonRow->setContentsMargins(0, 0, 0, 0);
    m_prevStep = new QPushButton(tr("◀ Previous"), m_lessonBar);
    m_prevStep->setToolTip(tr("Previous lesson step (Page Up)"));
    m_nextStep = new QPushButton(tr("Next ▶"), m_lessonBar);
    m_nextStep->setToolTip(tr("Next lesson step (Page Down)"));
    m_lessonLabel = new QLabel(m_lessonBar);
    m_lessonLabel->setAlignment(Qt::AlignCenter);
    m_lessonLabel->setWordWrap(true);
    lessonRow->addWidget(m_prevStep);
    lessonRow->addWidget(m_lessonLabel, 1);
    lessonRow->addWidget(m_nextStep);
    layout->addWidget(m_lessonBar);
    m_caption = new QLabel(this);
    m_caption->setObjectName(QStringLiteral("lessonCaption"));
    m_caption->setTextFormat(Qt::RichText);
    m_caption->setWordWrap(true);
    m_caption->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // The canvas on the left with the full height; caption and quiz in a column beside it
    // (a projector is wide, and the class reads the caption next to the numbers).
    auto *middle = new QHBoxLayout;
    m_middle = middle;
    auto *side = new QVBoxLayout;
    m_side = side;
    layout->addWidget(m_caption);
    layout->addLayout(middle, 1);
    connect(m_prevStep, &QPushButton::clicked, this, &TeachingPanel::previousLessonStep);
    connect(m_nextStep, &QPushButton::clicked, this, &TeachingPanel::nextLessonStep);

    m_view = new StepThroughView(this);
    middle->addWidget(m_view, 3);
    middle->addLayout(side, 1);
    connect(m_view, &StepThroughView::pixelClicked, this, &TeachingPanel::onPixelClicked);
    m_problemLabel = new QLabel(this);
    m_problemLabel->setWordWrap(true);
    m_problemLabel->setStyleSheet(QStringLiteral("color: #d55e00;"));
    m_problemLabel->hide();
    layout->addWidget(m_problemLabel);

    // Transport.
    auto *transport = new QHBoxLayout;
    auto tool = [&](QStyle::StandardPixmap icon, const QString &tip) {
        auto *b = new QToolButton(this);
        b->setIcon(style()->standardIcon(icon));
        b->setToolTip(tip);
        b->setAccessibleName(tip.section(QStringLiteral(" ("), 0, 0)); // without the key
        b->setAutoRaise(false);
        transport->addWidget(b);
        return b;
    };
    m_first = tool(QStyle::SP_MediaSkipBackward, tr("First position (Home)"));
    m_back = tool(QStyle::SP_MediaSeekBackward, tr("Step back (Left)"));
    m_play = tool(QStyle::SP_MediaPlay, tr("Play / pause (Space)"));
    m_forward = tool(QStyle::SP_MediaSeekForward, tr("Step forward (Right)"));
    m_last = tool(QStyle::SP_MediaSkipForward, tr("Last position (End)"));
    m_scrub = new QSlider(Qt::Horizontal, this);
    m_scrub->setToolTip(tr("Scrub to any output position"));
    m_scrub->setAccessibleName(tr("Output position"));
    transport->addWidget(m_scrub, 1);
    m_stepLabel = new QLabel(this);
    m_stepLabel->setMinimumWidth(
        m_stepLabel->fontMetrics().horizontalAdvance(QStringLiteral("step 0000 / 0000")));
    transport->addWidget(m_stepLabel);
    m_speed = new QComboBox(this);
    for (double s : kSpeeds)
        m_speed->addItem(tr("%1 steps/s").arg(s), s);
    m_speed->setCurrentIndex(2);
    m_speed->setToolTip(tr("Playback speed"));
    m_speed->setAccessibleName(tr("Playback speed"));
    transport->addWidget(m_speed);
    m_loopBox = new QCheckBox(tr("Loop"), this);
    transport->addWidget(m_loopBox);
    // Every digit on demand; by default the fewest decimals a class can multiply out.
    m_exactBox = new QCheckBox(tr("Exact"), this);
    m_exactBox->setObjectName(QStringLiteral("exactValues"));
    m_exactBox->setToolTip(tr("Every digit of every number, instead of the fewest decimals at "
                              "which the products and sums can be checked by hand"));
    transport->addWidget(m_exactBox);
    connect(m_exactBox, &QCheckBox::toggled, m_view, &StepThroughView::setExact);
    layout->addLayout(transport);
    connect(m_first, &QToolButton::clicked, this, &TeachingPanel::goFirst);
    connect(m_back, &QToolButton::clicked, this, &TeachingPanel::stepBack);
    connect(m_play, &QToolButton::clicked, this, &TeachingPanel::togglePlay);
    connect(m_forward, &QToolButton::clicked, this, &TeachingPanel::stepForward);
    connect(m_last, &QToolButton::clicked, this, &TeachingPanel::goLast);
    connect(m_scrub, &QSlider::valueChanged, this, [this](int v) {
        if (m_stepper && v != m_stepper->index())
            seek(v);
    });
    connect(m_speed, &QComboBox::currentIndexChanged, this,
            [this](int i) { setStepsPerSecond(m_speed->itemData(i).toDouble()); });
    connect(m_loopBox, &QCheckBox::toggled, this, &TeachingPanel::setLoop);
    m_timer = new QTimer(this);
    m_timer->setInterval(static_cast<int>(1000 / m_rate));
    connect(m_timer, &QTimer::timeout, this, [this] {
        if (!m_stepper || !m_stepper->forward(m_loop)) {
            pause();
            return;
        }
        afterMove();
    });

    // The grid the animation runs on.
    m_inputRow = new QWidget(this);
    auto *inputRow = new QHBoxLayout(m_inputRow);
    inputRow->setContentsMargins(0, 0, 0, 0);
    inputRow->addWidget(new QLabel(tr("Input grid:"), m_inputRow));
    m_source = new QComboBox(m_inputRow);
    for (GridPattern p :
         {GridPattern::Ramp, GridPattern::Edge, GridPattern::Checker, GridPattern::Digits})
        m_source->addItem(tr("pattern: %1").arg(identifier(p)), identifier(p));
    m_source->addItem(tr("crop of the image"), QStringLiteral("image"));
    m_source->setAccessibleName(tr("Input grid"));
    inputRow->addWidget(m_source);
    m_gridH = new QSpinBox(m_inputRow);
    m_gridW = new QSpinBox(m_inputRow);
    for (QSpinBox *s : {m_gridH, m_gridW}) {
        s->setRange(1, 16);
        s->setValue(6);
    }
    m_gridH->setToolTip(tr("Grid height (up to 16 so the numbers stay readable)"));
    m_gridW->setToolTip(tr("Grid width"));
    m_gridH->setAccessibleName(tr("Grid height"));
    m_gridW->setAccessibleName(tr("Grid width"));
    inputRow->addWidget(m_gridH);
    inputRow->addWidget(new QLabel(QStringLiteral("×"), m_inputRow));
    inputRow->addWidget(m_gridW);
    inputRow->addWidget(new QLabel(tr("crop at"), m_inputRow));
    m_cropY = new QSpinBox(m_inputRow);
    m_cropX = new QSpinBox(m_inputRow);
    for (QSpinBox *s : {m_cropY, m_cropX})
        s->setRange(0, 100000);
    m_cropY->setToolTip(tr("Top row of the crop in the image (snapped to the stride)"));
    m_cropX->setToolTip(tr("Left column of the crop in the image (snapped to the stride)"));
    m_cropY->setAccessibleName(tr("Crop top row"));
    m_cropX->setAccessibleName(tr("Crop left column"));
    inputRow->addWidget(m_cropY);
    inputRow->addWidget(m_cropX);
    m_followBox = new QCheckBox(tr("Follow main window"), m_inputRow);
    m_followBox->setChecked(true);
    m_followBox->setToolTip(tr("Step through the main window's Conv2d parameters and weights"));
    inputRow->addWidget(m_followBox);
    inputRow->addStretch(1);
    layout->addWidget(m_inputRow);
    auto inputEdited = [this] {
        LessonInput in = m_input;
        const QString src = m_source->currentData().toString();
        in.source = src == QStringLiteral("image") ? GridSource::Image : GridSource::Pattern;
        if (auto p = parseGridPattern(src))
            in.pattern = *p;
        in.height = m_gridH->value();
        in.width = m_gridW->value();
        in.cropY = m_cropY->value();
        in.cropX = m_cropX->value();
        if (!(in == m_input))
            setGridInput(in);
    };
    connect(m_source, &QComboBox::currentIndexChanged, this, inputEdited);
    for (QSpinBox *s : {m_gridH, m_gridW, m_cropY, m_cropX})
        connect(s, &QSpinBox::valueChanged, this, inputEdited);
    connect(m_followBox, &QCheckBox::toggled, this, [this](bool on) {
        m_follow = on;
        if (on)
            fromSession();
    });

    // Predict, then reveal.
    m_quizBox = new QGroupBox(tr("Predict, then reveal"), this);
    auto *quiz = new QVBoxLayout(m_quizBox);
    auto *askRow = new QHBoxLayout;
    m_quizKind = new QComboBox(m_quizBox);
    for (core::QuizKind k : core::allQuizKinds())
        m_quizKind->addItem(quizTitle(k), static_cast<int>(k));
    m_quizKind->setAccessibleName(tr("Question"));
    m_ask = new QPushButton(tr("Ask"), m_quizBox);
    m_scoreLabel = new QLabel(m_quizBox);
    // One row for the question chooser, Ask and the score: the height goes to the text.
    askRow->addWidget(m_quizKind, 1);
    askRow->addWidget(m_ask);
    askRow->addWidget(m_scoreLabel);
    quiz->addLayout(askRow);
    // Prompt and verdict share one scrolling text: an explanation can be long, and a
    // word-wrapped label in a group box does not grow reliably.
    m_verdictLabel = new QTextBrowser(m_quizBox);
    m_verdictLabel->setObjectName(QStringLiteral("quizText"));
    m_verdictLabel->setAccessibleName(tr("Question and verdict"));
    m_verdictLabel->setFrameShape(QFrame::NoFrame);
    m_verdictLabel->viewport()->setAutoFillBackground(false);
    quiz->addWidget(m_verdictLabel, 1);
    auto *answerRow = new QHBoxLayout;
    m_answer = new QLineEdit(m_quizBox);
    m_answer->setObjectName(QStringLiteral("answer"));
    m_answer->setPlaceholderText(tr("your answer"));
    m_answer->setAccessibleName(tr("Your answer"));
    m_reveal = new QPushButton(tr("Reveal"), m_quizBox);
    answerRow->addWidget(m_answer, 1);
    answerRow->addWidget(m_reveal);
    quiz->addLayout(answerRow);
    side->addWidget(m_quizBox, 1);
    m_quizBox->setMinimumWidth(300);
    connect(m_ask, &QPushButton::clicked, this,
            [this] { ask(static_cast<core::QuizKind>(m_quizKind->currentData().toInt())); });
    connect(m_reveal, &QPushButton::clicked, this, [this] { reveal(); });
    connect(m_answer, &QLineEdit::returnPressed, this, [this] { reveal(); });

    // Keyboard: the panel and everything in it (a line edit keeps its own keys).
    auto key = [this](const QKeySequence &seq, auto slot) {
        auto *s = new QShortcut(seq, this);
        s->setContext(Qt::WidgetWithChildrenShortcut);
        connect(s, &QShortcut::activated, this, slot);
        return s;
    };
    key(QKeySequence(Qt::Key_Space), [this] { togglePlay(); });
    key(QKeySequence(Qt::Key_Right), [this] { stepForward(); });
    key(QKeySequence(Qt::Key_Left), [this] { stepBack(); });
    key(QKeySequence(Qt::Key_Home), [this] { goFirst(); });
    key(QKeySequence(Qt::Key_End), [this] { goLast(); });
    m_lessonKeys = {key(QKeySequence(Qt::Key_PageDown), [this] { nextLessonStep(); }),
                    key(QKeySequence(Qt::Key_PageUp), [this] { previousLessonStep(); })};
    setFocusPolicy(Qt::StrongFocus);
    setAccessibleName(tr("Teaching: step through the convolution"));

    syncLessonBar();
    syncInputControls();
    clearQuestion();
}

void TeachingPanel::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    // Projected, the type follows the window's height (applyFonts).
    if (m_presentation && window()->height() != m_fontForHeight)
        applyFonts();
}

// Keys that arrive when no child has focus (the shortcuts cover the children).
void TeachingPanel::keyPressEvent(QKeyEvent *event)
{
    switch (event->key()) {
    case Qt::Key_Space: togglePlay(); break;
    case Qt::Key_Right: stepForward(); break;
    case Qt::Key_Left: stepBack(); break;
    case Qt::Key_Home: goFirst(); break;
    case Qt::Key_End: goLast(); break;
    case Qt::Key_PageDown: nextLessonStep(); break;
    case Qt::Key_PageUp: previousLessonStep(); break;
    default: QWidget::keyPressEvent(event); return;
    }
    event->accept();
}

void TeachingPanel::attachSession(Session *session)
{
    m_session = session;
    if (!session)
        return;
    connect(session, &Session::paramsChanged, this, [this] { fromSession(); });
    connect(session, &Session::weightsChanged, this, [this] { fromSession(); });
    connect(session, &Session::imageChanged, this, [this] {
        if (m_input.source == GridSource::Image)
            rebuild(true);
    });
    fromSession();
}

void TeachingPanel::fromSession()
{
    if (!m_session || !m_follow)
        return;
    const core::Conv2dParams p = m_session->params();
    const auto weight = m_session->weight();
    if (!weight || weight->shape != core::weightShape(p))
        return; // the session is between a parameter change and its new weights
    std::optional<core::Tensor> bias;
    if (p.bias && m_session->bias())
        bias = *m_session->bias();
    setConfiguration(p, *weight, bias);
}

bool TeachingPanel::setConfiguration(const core::Conv2dParams &params, core::Tensor weight,
                                     std::optional<core::Tensor> bias)
{
    const bool same = params == m_params && weight == m_weight && bias == m_bias && m_stepper;
    m_params = params;
    m_params.bias = bias.has_value();
    m_weight = std::move(weight);
    m_bias = std::move(bias);
    if (!same) {
        clearQuestion();
        rebuild(true);
    }
    return m_problem.isEmpty();
}

void TeachingPanel::setGridInput(const LessonInput &input)
{
    m_input = input;
    m_input.height = std::clamp(m_input.height, 1, 16);
    m_input.width = std::clamp(m_input.width, 1, 16);
    syncInputControls();
    clearQuestion();
    rebuild(true);
}

core::Tensor TeachingPanel::gridTensor(QString *why) const
{
    if (m_input.source == GridSource::Pattern)
        return patternTensor(m_input, m_params.inChannels);
    if (!m_session || !m_session->inputTensor()) {
        *why = tr("There is no image to crop: open one, or pick a pattern.");
        return {};
    }
    const core::Tensor &img = *m_session->inputTensor();
    if (img.dim(1) != m_params.inChannels) {
        *why = tr("An image crop has %1 channel(s); this configuration needs in_channels = %2. "
                  "Pick a pattern for other channel counts.")
                   .arg(img.dim(1))
                   .arg(m_params.inChannels);
        return {};
    }
    const std::int64_t H = img.dim(2), W = img.dim(3);
    const std::int64_t h = std::min<std::int64_t>(m_input.height, H);
    const std::int64_t w = std::min<std::int64_t>(m_input.width, W);
    // Snapped to the stride so the grid's output (y, x) is the image's output
    // (y + cropY / stride, x + cropX / stride).
    std::int64_t y0 = std::clamp<std::int64_t>(m_input.cropY, 0, H - h);
    std::int64_t x0 = std::clamp<std::int64_t>(m_input.cropX, 0, W - w);
    y0 -= y0 % m_params.stride.h;
    x0 -= x0 % m_params.stride.w;
    return core::crop(img, y0, x0, h, w);
}

void TeachingPanel::rebuild(bool keepIndex)
{
    const std::int64_t oldIndex = m_stepper ? m_stepper->index() : 0;
    m_stepper.reset();
    m_problem.clear();
    QString why;
    core::Tensor input = gridTensor(&why);
    if (why.isEmpty()) {
        try {
            m_stepper =
                std::make_shared<core::Stepper>(std::move(input), m_weight, m_bias, m_params);
            if (keepIndex)
                m_stepper->seek(oldIndex);
        } catch (const std::exception &e) {
            why = tr("Conv2d rejects this configuration on the %1 × %2 grid: %3")
                      .arg(m_input.height)
                      .arg(m_input.width)
                      .arg(QString::fromStdString(e.what()));
        }
    }
    m_problem = why;
    m_problemLabel->setText(why);
    m_problemLabel->setVisible(!why.isEmpty());
    if (!why.isEmpty())
        pause();
    m_view->setStepper(m_stepper);
    syncTransport();
    afterMove();
}

void TeachingPanel::afterMove()
{
    m_view->refresh();
    syncTransport();
    if (!m_stepper || m_stepper->count() == 0)
        return;
    const core::OutputPosition pos = m_stepper->position();
    std::optional<core::OutputPosition> full;
    // The full-size output shares the position when the main window holds this very
    // configuration; a crop shifts it by the crop's origin in output pixels.
    if (m_session && m_follow && m_session->params() == m_params) {
        const auto in = m_session->inputTensor();
        if (in) {
            const core::Shape out = core::outputShape(m_params, in->shape);
            core::OutputPosition f = pos;
            if (m_input.source == GridSource::Image) {
                const std::int64_t h = std::min<std::int64_t>(m_input.height, in->dim(2));
                const std::int64_t w = std::min<std::int64_t>(m_input.width, in->dim(3));
                std::int64_t y0 = std::clamp<std::int64_t>(m_input.cropY, 0, in->dim(2) - h);
                std::int64_t x0 = std::clamp<std::int64_t>(m_input.cropX, 0, in->dim(3) - w);
                f.y += y0 / m_params.stride.h;
                f.x += x0 / m_params.stride.w;
            }
            if (f.y < out[2] && f.x < out[3])
                full = f;
        }
    }
    emit positionChanged(pos, full);
}

void TeachingPanel::syncTransport()
{
    const bool ok = m_stepper && m_stepper->count() > 0;
    const QSignalBlocker block(m_scrub);
    m_scrub->setEnabled(ok);
    m_scrub->setRange(0, ok ? static_cast<int>(m_stepper->count() - 1) : 0);
    m_scrub->setValue(ok ? static_cast<int>(m_stepper->index()) : 0);
    m_stepLabel->setText(ok ? tr("step %1 / %2").arg(m_stepper->index() + 1).arg(m_stepper->count())
                            : QString());
    for (QToolButton *b : {m_first, m_back, m_play, m_forward, m_last})
        b->setEnabled(ok);
    m_play->setIcon(
        style()->standardIcon(isPlaying() ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
}

void TeachingPanel::syncInputControls()
{
    const QSignalBlocker b1(m_source), b2(m_gridH), b3(m_gridW), b4(m_cropY), b5(m_cropX);
    const QString key =
        m_input.source == GridSource::Image ? QStringLiteral("image") : identifier(m_input.pattern);
    m_source->setCurrentIndex(std::max(0, m_source->findData(key)));
    m_gridH->setValue(m_input.height);
    m_gridW->setValue(m_input.width);
    m_cropY->setValue(m_input.cropY);
    m_cropX->setValue(m_input.cropX);
    const bool crop = m_input.source == GridSource::Image;
    m_cropY->setEnabled(crop);
    m_cropX->setEnabled(crop);
}

// ---- transport ---------------------------------------------------------------------------

void TeachingPanel::play()
{
    if (!m_stepper || m_stepper->count() == 0)
        return;
    // Playing from the last position starts over, as a media player does.
    if (m_stepper->atEnd() && !m_loop)
        m_stepper->first();
    m_timer->start();
    afterMove();
}

void TeachingPanel::pause()
{
    m_timer->stop();
    syncTransport();
}

void TeachingPanel::togglePlay()
{
    isPlaying() ? pause() : play();
}

bool TeachingPanel::isPlaying() const
{
    return m_timer && m_timer->isActive();
}

void TeachingPanel::stepForward()
{
    if (m_stepper && m_stepper->forward(m_loop))
        afterMove();
}

void TeachingPanel::stepBack()
{
    if (m_stepper && m_stepper->back(m_loop))
        afterMove();
}

void TeachingPanel::goFirst()
{
    if (m_stepper) {
        m_stepper->first();
        afterMove();
    }
}

void TeachingPanel::goLast()
{
    if (m_stepper) {
        m_stepper->last();
        afterMove();
    }
}

void TeachingPanel::seek(std::int64_t index)
{
    if (m_stepper) {
        m_stepper->seek(index);
        afterMove();
    }
}

void TeachingPanel::setStepsPerSecond(double rate)
{
    m_rate = std::clamp(rate, 0.1, 60.0);
    m_timer->setInterval(static_cast<int>(std::lround(1000.0 / m_rate)));
    const QSignalBlocker block(m_speed);
    for (int i = 0; i < m_speed->count(); ++i)
        if (std::abs(m_speed->itemData(i).toDouble() - m_rate) < 1e-9)
            m_speed->setCurrentIndex(i);
}

void TeachingPanel::setLoop(bool loop)
{
    m_loop = loop;
    const QSignalBlocker block(m_loopBox);
    m_loopBox->setChecked(loop);
}

// ---- quiz --------------------------------------------------------------------------------

void TeachingPanel::clearQuestion()
{
    m_question.reset();
    m_verdict.reset();
    m_clicked.clear();
    m_counted = false;
    if (!m_view)
        return;
    m_view->setAnswerHidden(false);
    m_view->setSelection({});
    m_view->setRevealed({});
    m_view->setQuestionMarker(std::nullopt);
    showQuizText(tr("Pick a question and press Ask: the class predicts, then you reveal."));
    m_answer->clear();
    m_answer->setEnabled(false);
    m_reveal->setEnabled(false);
    m_scoreLabel->setText(tr("score %1 / %2").arg(m_score).arg(m_answered));
}

bool TeachingPanel::ask(core::QuizKind kind)
{
    clearQuestion();
    if (!m_stepper) {
        showQuizText(tr("No question: %1").arg(m_problem));
        return false;
    }
    core::QuizSetup setup;
    setup.params = m_stepper->params();
    setup.input = {m_stepper->input().dim(2), m_stepper->input().dim(3)};
    setup.weight = m_stepper->weight();
    try {
        m_question = core::makeQuestion(kind, setup, m_quizSeed++);
    } catch (const std::exception &e) {
        showQuizText(QString::fromStdString(e.what()));
        return false;
    }
    pause();
    // The grid shows the input channels the asked output reads (with groups, not those of
    // the output the animation was at), so the class answers on the channel the question is
    // about; its first position keeps the asked window hidden.
    if (kind == core::QuizKind::ReadPixels)
        seek(m_stepper->indexOf({0, m_question->channel, 0, 0}));
    // The asked window with its weights is what the class reasons from: shown, not hidden.
    const bool showWindow = kind == core::QuizKind::EffectivePixels;
    if (showWindow)
        seek(m_stepper->indexOf({0, m_question->channel, m_question->y, m_question->x}));
    const QSignalBlocker block(m_quizKind);
    m_quizKind->setCurrentIndex(m_quizKind->findData(static_cast<int>(kind)));
    showQuizText(QString::fromStdString(m_question->prompt));
    const bool number = core::expectsNumber(kind);
    m_answer->setEnabled(number);
    m_answer->setPlaceholderText(number ? tr("type a number, then Enter")
                                        : tr("click the pixels in the input grid, then Reveal"));
    m_reveal->setEnabled(true);
    m_view->setAnswerHidden(!showWindow);
    if (kind == core::QuizKind::PaddedValue || kind == core::QuizKind::CoverageCount)
        m_view->setQuestionMarker(core::Pixel{m_question->py, m_question->px});
    if (number)
        m_answer->setFocus();
    return true;
}

void TeachingPanel::onPixelClicked(std::int64_t, std::int64_t y, std::int64_t x)
{
    if (!m_question || m_verdict || core::expectsNumber(m_question->kind))
        return;
    const core::Pixel px{y, x};
    auto it = std::find(m_clicked.begin(), m_clicked.end(), px);
    if (it != m_clicked.end())
        m_clicked.erase(it); // a second click takes the pixel back
    else if (m_question->kind == core::QuizKind::PaddedValue)
        m_clicked = {px}; // one pixel is asked for
    else
        m_clicked.push_back(px);
    m_view->setSelection(m_clicked);
    m_answer->setText(tr("%n pixel(s) chosen", nullptr, static_cast<int>(m_clicked.size())));
}

std::optional<core::Verdict> TeachingPanel::revealWith(const core::Answer &given)
{
    if (!m_question || m_verdict)
        return m_verdict;
    if (core::expectsNumber(m_question->kind)) {
        m_answer->setText(given.number ? QString::number(*given.number) : QString());
    } else {
        m_clicked = given.pixels;
        m_view->setSelection(m_clicked);
        m_answer->setText(tr("%n pixel(s) chosen", nullptr, static_cast<int>(m_clicked.size())));
    }
    return reveal();
}

std::optional<core::Verdict> TeachingPanel::reveal()
{
    if (!m_question)
        return std::nullopt;
    core::Answer given;
    if (core::expectsNumber(m_question->kind)) {
        bool ok = false;
        const qlonglong v = m_answer->text().trimmed().toLongLong(&ok);
        if (ok)
            given.number = v;
    } else {
        given.pixels = m_clicked;
    }
    m_verdict = core::check(*m_question, given);
    if (!m_counted) {
        m_counted = true;
        ++m_answered;
        if (m_verdict->correct)
            ++m_score;
        emit scoreChanged(m_score, m_answered);
    }
    m_scoreLabel->setText(tr("score %1 / %2").arg(m_score).arg(m_answered));
    m_view->setAnswerHidden(false);
    m_view->setRevealed(m_verdict->expected.pixels);
    // Show the asked output's window: the reveal is the animation at that position.
    if ((m_question->kind == core::QuizKind::ReadPixels
         || m_question->kind == core::QuizKind::EffectivePixels)
        && m_stepper)
        seek(m_stepper->indexOf({0, m_question->channel, m_question->y, m_question->x}));
    showQuizText(QString::fromStdString(m_question->prompt));
    m_reveal->setEnabled(false);
    m_answer->setEnabled(false);
    return m_verdict;
}

void TeachingPanel::showQuizText(const QString &prompt)
{
    QString html = QStringLiteral("<p><b>%1</b></p>").arg(prompt.toHtmlEscaped());
    if (m_verdict) {
        QString explanation = QString::fromStdString(m_verdict->explanation);
        // The padded cell's value, read off the grid the class is looking at.
        if (m_question && m_question->kind == core::QuizKind::PaddedValue && m_stepper
            && m_verdict->expected.pixels.size() == 1) {
            const core::Pixel px = m_verdict->expected.pixels.front();
            const core::Tensor &in = m_stepper->input();
            const std::int64_t c = m_stepper->frame().firstInputChannel;
            explanation += tr(" In input channel %1 that is the value %2.")
                               .arg(c)
                               .arg(StepThroughView::formatValue(in.at(0, c, px.y, px.x)));
        }
        // The verdict first: the room sees it without scrolling past the question.
        html = QStringLiteral("<p style=\"color:%1\"><b>%2</b></p>")
                   .arg(m_verdict->correct ? QStringLiteral("#009e73") : QStringLiteral("#d55e00"))
                   .arg(verdictText().section(QLatin1Char('.'), 0, 0).toHtmlEscaped()
                        + QLatin1Char('.'))
               + html + QStringLiteral("<p>%1</p>").arg(explanation.toHtmlEscaped());
    }
    m_verdictLabel->setHtml(html);
}

QString TeachingPanel::verdictText() const
{
    if (!m_verdict)
        return {};
    QString answer;
    if (m_verdict->expected.number)
        answer = QString::number(*m_verdict->expected.number);
    else {
        QStringList px;
        for (const core::Pixel &p : m_verdict->expected.pixels)
            px << QStringLiteral("(%1, %2)").arg(p.y).arg(p.x);
        answer = px.isEmpty() ? tr("no pixel at all") : px.join(QStringLiteral(", "));
    }
    const QString head = m_verdict->correct ? tr("✔ Correct: %1.").arg(answer)
                                            : tr("✘ Not quite: the answer is %1.").arg(answer);
    return head + QLatin1Char(' ') + QString::fromStdString(m_verdict->explanation);
}

// ---- lessons -----------------------------------------------------------------------------

bool TeachingPanel::openLesson(const QString &path, QString *error)
{
    auto lesson = loadLesson(path, error);
    if (!lesson)
        return false;
    setLesson(*lesson);
    return true;
}

void TeachingPanel::setLesson(const Lesson &lesson)
{
    m_lesson = lesson;
    m_lessonStep = -1;
    // A lesson is a new round for the class: its score counts its own questions only.
    m_score = 0;
    m_answered = 0;
    emit scoreChanged(m_score, m_answered);
    goToLessonStep(0);
    emit lessonChanged();
}

void TeachingPanel::goToLessonStep(int index)
{
    if (!m_lesson || m_lesson->steps.isEmpty())
        return;
    index = std::clamp(index, 0, static_cast<int>(m_lesson->steps.size()) - 1);
    if (index == m_lessonStep)
        return;
    m_lessonStep = index;
    const LessonStep &step = m_lesson->steps[index];
    pause();
    auto [weight, bias] = lessonWeights(step.params, step.kernel);
    // The main window takes the configuration when its session can hold it (1 or 3
    // channels of an image); otherwise the panel steps through it on its own.
    const bool sessionCan = step.params.inChannels == 1 || step.params.inChannels == 3;
    if (m_session && sessionCan) {
        m_follow = false; // do not rebuild from a half-applied session state
        emit stepConfigured(step.params, weight, bias,
                            tr("Lesson step %1: %2").arg(index + 1).arg(step.title));
    }
    m_follow = sessionCan;
    {
        const QSignalBlocker block(m_followBox);
        m_followBox->setChecked(m_follow);
    }
    m_input = step.input;
    syncInputControls();
    m_inputRow->setEnabled(!step.locked.contains(QStringLiteral("input")));
    // One rebuild, from the first position: a new step starts its animation over.
    m_params = step.params;
    m_weight = std::move(weight);
    m_bias = step.params.bias ? std::optional<core::Tensor>(std::move(bias)) : std::nullopt;
    clearQuestion();
    rebuild(false);
    m_captionMarkdown = step.caption;
    renderCaption();
    syncLessonBar();
    emit lockedControlsChanged(step.locked);
    if (step.quiz)
        ask(*step.quiz);
}

void TeachingPanel::nextLessonStep()
{
    goToLessonStep(m_lessonStep + 1);
}
void TeachingPanel::previousLessonStep()
{
    goToLessonStep(m_lessonStep - 1);
}

QStringList TeachingPanel::lockedControls() const
{
    if (!m_lesson || m_lessonStep < 0)
        return {};
    return m_lesson->steps[m_lessonStep].locked;
}

void TeachingPanel::syncLessonBar()
{
    const bool has = m_lesson.has_value();
    m_lessonBar->setVisible(has);
    m_caption->setVisible(has && !m_captionMarkdown.isEmpty());
    if (!has)
        return;
    const int n = static_cast<int>(m_lesson->steps.size());
    const LessonStep &step = m_lesson->steps[m_lessonStep];
    m_lessonLabel->setText(tr("<b>%1</b> — step %2 of %3%4")
                               .arg(m_lesson->title.toHtmlEscaped())
                               .arg(m_lessonStep + 1)
                               .arg(n)
                               .arg(step.title.isEmpty()
                                        ? QString()
                                        : QStringLiteral(": ") + step.title.toHtmlEscaped()));
    m_prevStep->setEnabled(m_lessonStep > 0);
    m_nextStep->setEnabled(m_lessonStep + 1 < n);
}

// Markdown through QTextDocument, with code spans (the formulas) at the text's size: Qt's
// default fixed-pitch font is much smaller than a presentation font.
void TeachingPanel::renderCaption()
{
    if (m_captionMarkdown.isEmpty()) {
        m_caption->clear();
        return;
    }
    QTextDocument doc;
    doc.setDefaultFont(m_caption->font());
    doc.setMarkdown(m_captionMarkdown);
    const qreal size = m_caption->font().pointSizeF();
    for (QTextBlock b = doc.begin(); b.isValid(); b = b.next())
        for (auto it = b.begin(); !it.atEnd(); ++it) {
            const QTextFragment frag = it.fragment();
            QTextCharFormat fmt = frag.charFormat();
            if (!fmt.fontFixedPitch() && !fmt.font().fixedPitch()
                && fmt.fontFamilies().toStringList().join(QString()).indexOf(QStringLiteral("mono"),
                                                                             0, Qt::CaseInsensitive)
                       < 0)
                continue;
            fmt.setFontPointSize(size);
            QTextCursor c(&doc);
            c.setPosition(frag.position());
            c.setPosition(frag.position() + frag.length(), QTextCursor::KeepAnchor);
            c.setCharFormat(fmt);
        }
    m_caption->setText(doc.toHtml());
}

LessonStep TeachingPanel::currentStateAsStep(const std::vector<LessonKernel> &candidates,
                                             bool *weightsKept) const
{
    LessonStep s;
    s.params = m_params;
    s.input = m_input;
    // A lesson stores weights as a recipe. Keep the first recipe that reproduces the current
    // weights exactly: the caller's (e.g. the kernel panel's), the lesson step's, any preset.
    std::vector<LessonKernel> tries = candidates;
    if (m_lesson && m_lessonStep >= 0)
        tries.push_back(m_lesson->steps[m_lessonStep].kernel);
    for (core::KernelPreset p : core::allKernelPresets()) {
        LessonKernel k;
        k.preset = p;
        tries.push_back(k);
    }
    bool kept = false;
    for (const LessonKernel &k : tries) {
        const auto [w, b] = lessonWeights(m_params, k);
        if (w == m_weight && (!m_bias || b == *m_bias)) {
            s.kernel = k;
            kept = true;
            break;
        }
    }
    if (!kept)
        s.kernel.preset = core::KernelPreset::Identity;
    if (weightsKept)
        *weightsKept = kept;
    s.caption = tr("Describe this step for the class.");
    if (m_question)
        s.quiz = m_question->kind;
    if (m_lesson && m_lessonStep >= 0)
        s.locked = m_lesson->steps[m_lessonStep].locked;
    return s;
}

// ---- presentation ------------------------------------------------------------------------

void TeachingPanel::setPresentationMode(bool on)
{
    m_presentation = on;
    m_view->setPresentation(on);
    // Only the lesson's panels: the grid chooser is an authoring tool.
    m_inputRow->setVisible(!on);
    // Large text needs a wider quiz column.
    m_middle->setStretch(0, 3);
    m_middle->setStretch(1, on ? 2 : 1);
    // Projected, the grid takes the whole height beside a column of caption and quiz (across
    // the top, a caption in large type left a projector's grid a few rows tall).
    if (auto *top = qobject_cast<QBoxLayout *>(layout())) {
        top->removeWidget(m_caption);
        m_side->removeWidget(m_caption);
        if (on)
            m_side->insertWidget(0, m_caption);
        else
            top->insertWidget(top->indexOf(m_lessonBar) + 1, m_caption);
    }
    applyFonts();
}

void TeachingPanel::applyFonts()
{
    if (m_presentation) {
        // On top of whatever the window uses (its presentation mode already enlarges the
        // application font), at least 18 pt.
        QFont f = QApplication::font();
        double points = std::max(18.0, f.pointSizeF() * 1.25);
        // A lesson on a small projector must still fit: lines of at most a 36th of the
        // window's height (20 px on a 1024x768 screen; a 1080p window keeps the 18+ pt).
        if (const int h = window()->height(); h > 0 && logicalDpiY() > 0)
            points = std::min(points, h / 36.0 * 72.0 / logicalDpiY() / 1.1);
        f.setPointSizeF(points);
        m_fontForHeight = window()->height();
        setFont(f);
    } else {
        setFont(QFont()); // inherit again: follow the window
    }
    QFont caption = font();
    if (m_presentation)
        caption.setPointSizeF(caption.pointSizeF() * 1.1);
    m_caption->setFont(caption);
    // The transport's icons grow with the text, to be seen (and hit) from afar.
    const int icon = QFontMetrics(font()).height();
    for (QToolButton *b : {m_first, m_back, m_play, m_forward, m_last})
        b->setIconSize(QSize(icon, icon));
    renderCaption();
}

void TeachingPanel::setLessonKeysWindowWide(bool on)
{
    for (QShortcut *s : m_lessonKeys)
        s->setContext(on ? Qt::WindowShortcut : Qt::WidgetWithChildrenShortcut);
}

} // namespace convscope::ui
