//! Strings of the imports area.

crate::translations! {
    ImportsTr, IMPORTS_ES, IMPORTS_EN {
        title: "Importar contactos", "Import contacts";
    }
}
