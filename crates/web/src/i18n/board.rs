//! Strings of the board area.

crate::translations! {
    BoardTr, BOARD_ES, BOARD_EN {
        title: "Embudos", "Pipelines";
    }
}
