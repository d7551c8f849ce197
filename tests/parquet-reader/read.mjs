// tests/parquet-reader/read.mjs - read a Parquet file with hyparquet (a reader independent of
// DuckDB) and print {"columns": [...], "num_rows": N, "created_by": "...", "rows": [[...], ...]}
// as one JSON line.  Values: BigInt → decimal string, bytes → "\\x" + lower-case hex,
// Date → ISO string, non-finite numbers → "NaN" / "Infinity" / "-Infinity".
//   node tests/parquet-reader/read.mjs FILE [MAX_ROWS]
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

const file = await asyncBufferFromFile(process.argv[2]);
const metadata = await parquetMetadataAsync(file);
const columns = metadata.schema.slice(1).map((s) => s.name);
const rowEnd = process.argv[3] ? Math.min(Number(process.argv[3]), Number(metadata.num_rows)) : undefined;
const objects = await parquetReadObjects({ file, metadata, compressors, rowEnd, utf8: false });

function plain(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (v instanceof Uint8Array) return '\\x' + Buffer.from(v).toString('hex');
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'out-of-range' : v.toISOString();
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}
const rows = objects.map((o) => columns.map((c) => plain(o[c])));
process.stdout.write(JSON.stringify({
  columns, num_rows: Number(metadata.num_rows), created_by: metadata.created_by, rows,
}) + '\n');
