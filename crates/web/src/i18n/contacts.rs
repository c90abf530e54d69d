//! Strings of the contacts area.

crate::translations! {
    ContactsTr, CONTACTS_ES, CONTACTS_EN {
        title: "Contactos", "Contacts";
    }
}
