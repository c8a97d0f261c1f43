// Reading a CSV file the way a spreadsheet numbers it: one record per line (blank lines kept), so a
// record's index plus one is the line the technician sees. Reading stops at the first line csv-parse
// cannot finish; what came before it is kept and that line is reported with what to do.
import { CsvError, parse } from 'csv-parse/sync';

export interface CsvLines {
  readonly records: string[][];
  readonly unreadable?: { readonly line: number; readonly message: string };
}

export function readCsvLines(text: string): CsvLines {
  const records: string[][] = [];
  try {
    parse(text, {
      relax_column_count: true,
      // A stray quote inside a value (5" screen) is kept as a character rather than failing the file.
      relax_quotes: true,
      skip_empty_lines: false,
      on_record: (record: string[]) => {
        records.push(record);
        return null;
      },
    });
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    // Records are one per spreadsheet line, so the one csv-parse could not finish is the next line.
    return { records, unreadable: { line: records.length + 1, message: csvFailureMessage(error) } };
  }
  return { records };
}

/** A column name as compared: without case, spaces, '-' or '_'. */
export function normalizeColumnName(name: string): string {
  return name.trim().toLowerCase().replace(/[\s_-]+/g, '');
}

function csvFailureMessage(error: CsvError): string {
  if (error.code === 'CSV_QUOTE_NOT_CLOSED') {
    return 'A value on this line opens a double quote (") that is never closed, so nothing from this line to the end of the file was read. Add the closing quote (or remove the stray one) and import the file again.';
  }
  return `This line could not be read as CSV (${error.code}), so nothing from this line to the end of the file was read. Open the file in a spreadsheet, save it again as CSV and import it again.`;
}
