// tests/standin/duckdb_query.mjs - run one SQL statement in a fresh in-memory
// DuckDB and print its rows as JSON: how the tests read files on the mount
// with DuckDB's own readers (read_csv, read_parquet) as an analyst would.
//   node tests/standin/duckdb_query.mjs "SELECT count(*) FROM read_csv('/mnt/...')"
import { DuckDBInstance } from '@duckdb/node-api';

const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const reader = await connection.runAndReadAll(process.argv[2]);
process.stdout.write(JSON.stringify(reader.getRowsJson()) + '\n');
connection.closeSync();
