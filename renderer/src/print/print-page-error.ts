// A failure the print page reports through its title: the message is written for the technician at the
// bench and never carries document content (a PIN mailer's text holds the PIN).
export class PrintPageError extends Error {
  override readonly name = 'PrintPageError';
}
