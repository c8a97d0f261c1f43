// pdf.js draws the standard 14 fonts (Helvetica, Courier, ...) that pdfkit does not embed from its own font
// files rather than the system's, so a document looks the same on every OS. The build copies them here,
// beside print.html (renderer/vite.config.mts).
export const STANDARD_FONTS_DIR = 'standard_fonts/';
