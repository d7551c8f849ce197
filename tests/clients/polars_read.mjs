// tests/clients/polars_read.mjs - read one CSV file with polars (nodejs-polars)
// as an analyst would, and print {"rows": N, "columns": [...], "first": [...]} as JSON.
//   node tests/clients/polars_read.mjs /mnt/md/shop/main/t.csv
import pl from 'nodejs-polars';

const df = pl.readCSV(process.argv[2]);
const first = df.height > 0 ? df.row(0).map(String) : null;
process.stdout.write(JSON.stringify({ rows: df.height, columns: df.columns, first }) + '\n');
