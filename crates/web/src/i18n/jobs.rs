//! Strings of the jobs area.

crate::translations! {
    JobsTr, JOBS_ES, JOBS_EN {
        title: "Trabajos en segundo plano", "Background jobs";
    }
}
