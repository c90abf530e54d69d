//! Strings of the chart cards (dashboard and reports): the table toggle,
//! the CSV link and the empty state. Spanish and English, declared once.

crate::translations! {
    ChartsTr, CHARTS_ES, CHARTS_EN {
        show_table: "Ver tabla", "Show table";
        download_csv: "Descargar CSV", "Download CSV";
        no_data: "Sin datos en este periodo.", "No data in this period.";
        category: "Categoría", "Category";
        conversion: "Conversión", "Conversion";
    }
}
