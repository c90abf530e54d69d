//! The kinds of domain event (`events.kind`).

use super::stored_enum;

stored_enum! {
    /// Every event kind written with `af_db::events::insert_event`, grouped
    /// by what they are about. Custom events (`custom.<name>`) are not
    /// values of this enum: their names are the users'.
    pub enum EventKind ("event kind") {
        ContactCreated = "contact.created",
        ContactUpdated = "contact.updated",
        ContactEmailAdded = "contact.email_added",
        ContactDeleted = "contact.deleted",
        ContactErased = "contact.erased",
        ContactScoreChanged = "contact.score_changed",
        /// A visit that is the contact's first (the `first_visit` trigger).
        ContactFirstVisit = "contact.first_visit",
        ActivityRecorded = "activity.recorded",
        ScoreThresholdEntered = "score.threshold_entered",
        ScoreThresholdExited = "score.threshold_exited",
        TagAdded = "tag.added",
        TagRemoved = "tag.removed",
        NoteAdded = "note.added",
        DealCreated = "deal.created",
        DealStageChanged = "deal.stage_changed",
        DealUpdated = "deal.updated",
        TaskCreated = "task.created",
        TaskCompleted = "task.completed",
        FormSubmitted = "form.submitted",
        FormCreated = "form.created",
        FormUpdated = "form.updated",
        FormDeleted = "form.deleted",
        AppointmentBooked = "appointment.booked",
        AppointmentRequested = "appointment.requested",
        AppointmentRescheduled = "appointment.rescheduled",
        AppointmentCancelled = "appointment.cancelled",
        AppointmentConfirmed = "appointment.confirmed",
        AppointmentCompleted = "appointment.completed",
        AppointmentNoShow = "appointment.no_show",
        MembershipCreated = "membership.created",
        MembershipUpdated = "membership.updated",
        MembershipRenewed = "membership.renewed",
        MembershipCancelled = "membership.cancelled",
        MembershipExpiring = "membership.expiring",
        MembershipExpired = "membership.expired",
        PaymentFailed = "payment.failed",
        MessageInbound = "message.inbound",
        CallCompleted = "call.completed",
        PipelineCreated = "pipeline.created",
        PipelineRenamed = "pipeline.renamed",
        PipelineBookedStageSet = "pipeline.booked_stage_set",
        PipelineStagesReordered = "pipeline.stages_reordered",
        StageCreated = "stage.created",
        StageUpdated = "stage.updated",
        StageDeleted = "stage.deleted",
        MemberJoined = "member.joined",
        MemberRoleChanged = "member.role_changed",
        WorkspaceUpdated = "workspace.updated",
    }
}
