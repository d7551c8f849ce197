-- The demo's sample workspace, loaded through the stand-in with psql.
-- Database shop: a small shop. Database analytics: a big table and a table
-- with every common DuckDB type.
USE shop;
CREATE OR REPLACE TABLE main.customers AS
  SELECT range + 1 AS id,
         ['Ada','Grace','Linus','Margaret','Ken','Barbara','Dennis','Frances'][range % 8 + 1] AS first_name,
         ['Lovelace','Hopper','Torvalds','Hamilton','Thompson','Liskov','Ritchie','Allen'][(range // 8) % 8 + 1] AS last_name,
         'customer' || (range + 1) || '@example.com' AS email,
         DATE '2020-01-01' + CAST(range % 1500 AS INTEGER) AS signed_up
  FROM range(2000);
CREATE OR REPLACE TABLE main.orders AS
  SELECT range + 1 AS id,
         (range * 7919) % 2000 + 1 AS customer_id,
         TIMESTAMP '2023-01-01 08:00:00' + to_minutes(CAST(range * 37 AS BIGINT)) AS ordered_at,
         ['placed','shipped','completed','returned'][range % 4 + 1] AS status
  FROM range(8000);
CREATE OR REPLACE TABLE main.payments AS
  SELECT range + 1 AS id,
         range % 8000 + 1 AS order_id,
         ['credit_card','coupon','bank_transfer','gift_card'][range % 4 + 1] AS method,
         CAST((range * 137) % 10000 AS DECIMAL(10,2)) / 100 AS amount
  FROM range(9000);
CREATE OR REPLACE VIEW main.revenue_by_method AS
  SELECT method, sum(amount) AS revenue, count(*) AS payments FROM main.payments GROUP BY method;

USE analytics;
CREATE OR REPLACE TABLE main.events AS
  SELECT range AS event_id,
         TIMESTAMP '2024-01-01' + to_seconds(CAST(range AS BIGINT)) AS happened_at,
         ['view','click','purchase','signup'][range % 4 + 1] AS kind,
         range % 2000 + 1 AS customer_id,
         (range % 1000) / 10.0 AS value
  FROM range(1000000);
CREATE OR REPLACE TABLE main.all_types (
  id INTEGER, tiny TINYINT, small SMALLINT, big BIGINT, huge HUGEINT, ubig UBIGINT,
  amount DECIMAL(18,3), ratio DOUBLE, name VARCHAR, flag BOOLEAN, day DATE, ts TIMESTAMP,
  ts_tz TIMESTAMPTZ, span INTERVAL, uid UUID, raw BLOB, tags VARCHAR[], point STRUCT(x DOUBLE, y DOUBLE),
  attrs MAP(VARCHAR, INTEGER));
INSERT INTO main.all_types VALUES
  (1, -128, -32768, -9223372036854775808, -170141183460469231731687303715884105727, 0,
   -12345.678, -1.5e300, 'comma, "quote"', true, DATE '1999-12-31', TIMESTAMP '2024-01-02 03:04:05.123456',
   TIMESTAMPTZ '2024-01-02 03:04:05+00', INTERVAL '1 year 2 days', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
   '\xAA\x00ab'::BLOB, ['a', 'b,c'], {'x': 1.5, 'y': -2}, MAP {'k': 1}),
  (2, 127, 32767, 9223372036854775807, 170141183460469231731687303715884105727, 18446744073709551615,
   99999.999, 0.1, E'two\nlines', false, DATE '2024-02-29', TIMESTAMP '1970-01-01 00:00:00',
   TIMESTAMPTZ '2000-06-30 23:59:59+00', INTERVAL '3 hours', '00000000-0000-0000-0000-000000000000',
   ''::BLOB, [], {'x': 0, 'y': 0}, MAP {}),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (4, 0, 0, 0, 0, 1, 0, 'NaN'::DOUBLE, 'ünïcødé ✓ 日本 🦆', true, NULL, NULL, NULL, NULL, NULL,
   'plain'::BLOB, [NULL], NULL, NULL);
