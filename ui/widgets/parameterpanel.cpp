// SPDX-License-Identifier: GPL-3.0-or-later
#include "parameterpanel.h"

#include "conv2dparamsform.h"
#include "verticalscrollarea.h"

#include <QLabel>
#include <QVBoxLayout>

namespace convscope::ui {

ParameterPanel::ParameterPanel(Session *session, QWidget *parent)
    : QWidget(parent), m_session(session)
{
    setObjectName(QStringLiteral("parameterPanel"));

    // Whole by default; squeezed (teaching mode on a 1024x768 screen gives the lesson most of
    // the height) the form scrolls instead of drawing its rows over the dock below.
    auto *content = new QWidget;
    auto *inner = new QVBoxLayout(content);
    m_form = new Conv2dParamsForm({});
    inner->addWidget(m_form);

    m_error = new QLabel;
    m_error->setObjectName(QStringLiteral("errorLabel"));
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(
        QStringLiteral("QLabel { color: #7a1010; background: #fde2e1; border: 1px solid #d62728;"
                       " border-radius: 4px; padding: 6px; }"));
    m_error->hide();
    inner->addWidget(m_error);
    inner->addStretch();
    m_scroll = new VerticalScrollArea(content, this);
    m_scroll->setObjectName(QStringLiteral("parameterPanelScroll"));
    m_scroll->setAccessibleName(tr("Parameters panel"));
    m_scroll->setKeepsWholeContent(true);
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(m_scroll);

    connect(m_form, &Conv2dParamsForm::paramsEdited, this, &ParameterPanel::paramsEdited);
    connect(session, &Session::paramsChanged, this,
            [this] { m_form->setParams(m_session->params()); });
    connect(session, &Session::validationChanged, this, &ParameterPanel::showValidation);
    m_form->setParams(session->params());
    showValidation();
}

void ParameterPanel::showValidation()
{
    const auto &err = m_session->validationError();
    m_form->setMarked(err ? std::optional(err->field) : std::nullopt);
    if (err) {
        m_error->setText(QString::fromStdString(err->message));
        m_error->show();
    } else {
        m_error->clear();
        m_error->hide();
    }
}

void ParameterPanel::setSqueezable(bool on)
{
    m_scroll->setKeepsWholeContent(!on);
}

bool ParameterPanel::isSqueezable() const
{
    return !m_scroll->keepsWholeContent();
}

bool ParameterPanel::isMarked(core::Field field) const
{
    return m_form->isMarked(field);
}

QString ParameterPanel::errorText() const
{
    return m_error->text();
}

void ParameterPanel::setLocked(core::Field field, bool locked)
{
    m_form->setLocked(field, locked);
}

bool ParameterPanel::isLocked(core::Field field) const
{
    return m_form->isLocked(field);
}

} // namespace convscope::ui
