"""Tasks (« tâches ») sent to a dossier: approval tasks and upload tasks with steps.

Named `assignments` because `tasks.py` already means background jobs (django.tasks).

- A `Task` belongs to one dossier; it is either an approval (documents to approve or
  decline) or an upload task (instructions and `Step`s). It is À faire (`open`) until the
  client completes it (upload) or decides (approval), then Terminé (`done`); an upload
  task can be reopened.
- `TaskAssignee`: the client-side people the task is for (they see it in À faire, are
  notified and reminded).
- `TaskDocument`: the documents attached by the sender (approval) or uploaded by the
  client into the task or one of its steps (upload). The document itself lives in the
  dossier's folders like any other.
- `Approval` + `ApprovalDocument`: the decision and the proof of what exactly was
  approved (version and SHA-256 of each document, who, when, from which address).
- `TaskDocumentOpen`: who opened which attached document (an approver must open each).
- Steps are never deleted from the database: `deleted_at` hides them, so the task's
  history (and the activity log) still names them.
- `TaskTemplate` / `TaskSchedule`: an accountant's saved upload tasks, and their
  recurrence on chosen dossiers.

Reminder rules live on the task (`remind_*`); `next_reminder_at` is what the worker
looks at, kept in step by `reminders.reminder_schedule`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class TaskKind(models.TextChoices):
    APPROVAL = "approval", _("Approbation")
    UPLOAD = "upload", _("Téléversement")


class TaskState(models.TextChoices):
    OPEN = "open", _("À faire")
    DONE = "done", _("Terminé")


class ApprovalOutcome(models.TextChoices):
    APPROVED = "approved", _("Approuvée")
    DECLINED = "declined", _("Refusée")


class StepState(models.TextChoices):
    OPEN = "open", _("À faire")
    COMPLETE = "complete", _("Terminée")
    NOT_APPLICABLE = "not_applicable", _("Ne s'applique pas")


class Task(models.Model):
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.CASCADE, related_name="tasks", db_index=True
    )
    kind = models.CharField(_("type"), max_length=16, choices=TaskKind.choices)
    title = models.CharField(_("titre"), max_length=200)
    # The approval's message, or the upload task's instructions.
    message = models.TextField(_("message"), blank=True)
    due_date = models.DateField(_("échéance"), null=True, blank=True)
    state = models.CharField(
        _("état"), max_length=8, choices=TaskState.choices, default=TaskState.OPEN
    )
    # Approval tasks only: how it ended.
    outcome = models.CharField(
        _("décision"), max_length=16, choices=ApprovalOutcome.choices, blank=True
    )
    created_at = models.DateTimeField(_("envoyée le"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("envoyée par"),
    )
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(_("terminée le"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The recurrence that created it, if any.
    schedule = models.ForeignKey(
        "TaskSchedule", on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )

    # Reminder rules (defaults: 3 days before, on the day, then every 7 days, at most 5).
    remind_days_before = models.PositiveSmallIntegerField(
        _("rappel avant l'échéance (jours)"), null=True, blank=True, default=3
    )
    remind_on_due_date = models.BooleanField(_("rappel le jour de l'échéance"), default=True)
    remind_every_days = models.PositiveSmallIntegerField(
        _("puis tous les (jours)"), null=True, blank=True, default=7
    )
    remind_max = models.PositiveSmallIntegerField(_("rappels au plus"), default=5)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    # When the worker sends the next reminder; None: none to send.
    next_reminder_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("tâche")
        verbose_name_plural = _("tâches")
        indexes = [
            models.Index(fields=["dossier", "state", "-created_at"], name="task_dossier_state"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        name = "approval_detail" if self.kind == TaskKind.APPROVAL else "task_detail"
        return reverse(f"assignments:{name}", kwargs={"slug": self.dossier.slug, "pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.state == TaskState.OPEN


class TaskAssignee(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignees")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="task_assignments"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "user"], name="task_assignee_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} → {self.user_id}"


class Step(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(_("titre"), max_length=200)
    details = models.TextField(_("précisions"), blank=True)
    due_date = models.DateField(_("échéance"), null=True, blank=True)
    # Where documents uploaded into this step are filed (None: the dossier's root).
    folder = models.ForeignKey(
        "documents.Folder",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("classeur de destination"),
    )
    state = models.CharField(
        _("état"), max_length=16, choices=StepState.choices, default=StepState.OPEN
    )
    # Required when not applicable: why.
    state_comment = models.TextField(_("commentaire"), blank=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    state_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("position", "id")
        verbose_name = _("étape")
        verbose_name_plural = _("étapes")

    def __str__(self) -> str:
        return self.title


class StepComment(models.Model):
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(_("commentaire"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return self.body[:60]


class TaskDocument(models.Model):
    """A document attached to a task by its sender, or uploaded into it (or a step)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="task_documents")
    step = models.ForeignKey(
        Step, on_delete=models.CASCADE, null=True, blank=True, related_name="step_documents"
    )
    document = models.ForeignKey(
        "documents.Document", on_delete=models.CASCADE, related_name="task_links"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("added_at", "id")
        constraints = [
            models.UniqueConstraint(fields=["task", "document"], name="task_document_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.document_id}"


class TaskDocumentOpen(models.Model):
    """Who opened which attached document of a task (an approver must open each one)."""

    task_document = models.ForeignKey(TaskDocument, on_delete=models.CASCADE, related_name="opens")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(
        "documents.DocumentVersion", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["task_document", "user"], name="task_document_open_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_document_id} ← {self.user_id}"


class Approval(models.Model):
    """The decision on an approval task: who, when, from where, and why if declined."""

    task = models.OneToOneField(Task, on_delete=models.CASCADE, related_name="approval")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("décision"), max_length=16, choices=ApprovalOutcome.choices)
    comment = models.TextField(_("commentaire"), blank=True)
    decided_at = models.DateTimeField(_("décidée le"), auto_now_add=True)
    ip = models.GenericIPAddressField(_("adresse IP"), null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    def __str__(self) -> str:
        return f"{self.task_id}: {self.outcome}"


class ApprovalDocument(models.Model):
    """Exactly what was approved: the version and its SHA-256 at the time of the decision."""

    approval = models.ForeignKey(Approval, on_delete=models.CASCADE, related_name="documents")
    document = models.ForeignKey(
        "documents.Document", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    version = models.ForeignKey(
        "documents.DocumentVersion", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.name} ({self.sha256[:12]})"


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Tous les mois")
    QUARTERLY = "quarterly", _("Tous les trimestres")
    YEARLY = "yearly", _("Tous les ans")


class TaskTemplate(models.Model):
    """An upload task saved by an accountant ("Pièces du mois", "Clôture annuelle").

    Owned by the person who saved it and, when that person is a firm's staff, shared with
    the firm's staff. Steps are kept as data (title, details, folder name, days after the
    task is created for the step's due date) so one template serves every dossier.
    """

    name = models.CharField(_("nom"), max_length=200)
    title = models.CharField(_("titre de la tâche"), max_length=200)
    message = models.TextField(_("instructions"), blank=True)
    # [{"title": str, "details": str, "folder": str, "due_in_days": int | None}, …]
    steps = models.JSONField(default=list, blank=True)
    due_in_days = models.PositiveSmallIntegerField(
        _("échéance (jours après l'envoi)"), null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="task_templates"
    )
    firm = models.ForeignKey(
        "dossiers.Firm", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name", "id")
        verbose_name = _("modèle de tâche")
        verbose_name_plural = _("modèles de tâches")

    def __str__(self) -> str:
        return self.name


class TaskSchedule(models.Model):
    """A template sent to one dossier on a recurrence; the worker creates the tasks."""

    template = models.ForeignKey(TaskTemplate, on_delete=models.CASCADE, related_name="schedules")
    dossier = models.ForeignKey(
        "dossiers.Dossier", on_delete=models.CASCADE, related_name="task_schedules", db_index=True
    )
    frequency = models.CharField(_("fréquence"), max_length=16, choices=Frequency.choices)
    next_run_on = models.DateField(_("prochain envoi"), db_index=True)
    # The day of the month of the first sending (1-31): later sendings keep it when the
    # month has it (31 Jan, 29 Feb, 31 Mar…). None: next_run_on's day.
    anchor_day = models.PositiveSmallIntegerField(null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_run_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ("next_run_on", "id")
        verbose_name = _("récurrence")
        verbose_name_plural = _("récurrences")

    def __str__(self) -> str:
        return f"{self.template_id} → {self.dossier_id} ({self.frequency})"
