#!/usr/bin/env bash
# selftest.sh — quick self-check of the MotherDuck stand-in (the real tests are the pytest suite).
# Starts server.mjs on free ports with a throw-away CA, talks to it with psql, prints PASS/FAIL
# lines and stops the server.  Needs node, npm, psql and openssl.  Usage: tests/standin/selftest.sh
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
[ -d "$HERE/node_modules" ] || (cd "$HERE" && npm ci --silent) || exit 1

T=$(mktemp -d)
SPID=
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

# --- certificates: a test CA and a server certificate for localhost / 127.0.0.1
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.crt" -days 2 -subj /CN=standin-test-ca 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout "$T/server.key" -out "$T/server.csr" -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$T/ext"
openssl x509 -req -in "$T/server.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial -out "$T/server.crt" \
  -days 2 -extfile "$T/ext" 2>/dev/null

# --- server on free ports
CPORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
node "$HERE/server.mjs" --port 0 --cert "$T/server.crt" --key "$T/server.key" --token tok \
  --db shop="$T/shop.duckdb" --db analytics="$T/analytics.duckdb" --control-port "$CPORT" >"$T/out" 2>"$T/err" &
SPID=$!
for _ in $(seq 100); do grep -q '^READY ' "$T/out" && break; sleep 0.1; done
PORT=$(awk '/^READY /{print $2}' "$T/out")
[ -n "$PORT" ] || { echo "server did not start:"; cat "$T/err"; exit 1; }
echo "server pid $SPID, port $PORT, control port $CPORT"

export PGPASSWORD=tok
DSN="host=127.0.0.1 port=$PORT dbname=md: sslmode=verify-full sslrootcert=$T/ca.crt user=x"
CTL="http://127.0.0.1:$CPORT"
fails=0
check() { # name expected actual
  if [ "$3" == "$2" ]; then echo "PASS $1"; else echo "FAIL $1"; echo "  expected: $2"; echo "  actual:   $3"; fails=$((fails + 1)); fi
}
contains() { # name needle haystack
  if [[ "$3" == *"$2"* ]]; then echo "PASS $1"; else echo "FAIL $1"; echo "  expected to contain: $2"; echo "  actual: $3"; fails=$((fails + 1)); fi
}
q() { psql "$DSN" -XAtq -v VERBOSITY=verbose "$@" 2>&1; }
post() { node -e "fetch('$CTL/config',{method:'POST',body:process.argv[1]}).then(r=>r.text()).then(t=>process.stdout.write(t))" "$1"; }
get() { node -e "fetch('$CTL$1').then(r=>r.text()).then(t=>process.stdout.write(t))"; }

# --- connection start-up
check "select" "42" "$(q -c 'select 42')"
check "default database" "shop" "$(q -c 'select current_database()')"
check "dbname=analytics" "analytics" "$(psql "${DSN/md:/analytics}" -XAt -c 'select current_database()' 2>&1)"
contains "unknown database" 'database "nope" does not exist' "$(psql "${DSN/md:/nope}" -c 'select 1' 2>&1)"
contains "bad password" "password authentication failed" "$(PGPASSWORD=bad psql "$DSN" -c 'select 1' 2>&1)"
contains "TLS required" "SSL required" "$(psql "${DSN/verify-full/disable}" -c 'select 1' 2>&1)"
check "server_version parsed by libpq" "150000" "$(psql "$DSN" -XAt -c '\echo :SERVER_VERSION_NUM')"

# --- simple query protocol
check "multi-statement" "$(printf '1\n2')" "$(q -c 'select 1; select 2')"
check "empty query" "" "$(q -c ';')"
out=$(psql "$DSN" -XAt -v VERBOSITY=verbose -v ON_ERROR_STOP=0 2>&1 <<'EOF'
create table t(id integer primary key, s varchar not null);
begin;
insert into t values (1, 'a');
select * from nosuch;
select 1;
commit;
select count(*) from t;
EOF
)
contains "error in transaction -> 25P02" "25P02" "$out"
contains "COMMIT of failed transaction rolls back" "$(printf 'ROLLBACK\n0')" "$out"
for case in "select * from nosuch|42P01" "select nofunc(1)|42883" "selec 1|42601" "create table t(x int)|42P07" \
  "select * from nos.t|3F000" "insert into t values (1,'a'), (1,'b')|23505" "insert into t values (9, NULL)|23502" \
  "select 'abc'::int|22P02" "select 300::tinyint|22003" "attach 'x.db'|0A000" "install httpfs|0A000" \
  "create temp table tt(x int)|0A000" "copy t to '/tmp/x.csv'|0A000" "copy t to stdout|0A000"; do
  contains "SQLSTATE ${case#*|} for: ${case%|*}" "ERROR:  ${case#*|}:" "$(q -c "${case%|*}")"
done
check "SET chatter" "SET SET SET SET SET" "$(psql "$DSN" -X -c 'SET DateStyle = ISO' -c "SET client_encoding = 'UTF8'" \
  -c "SET application_name = 'x'" -c "SET TimeZone = 'UTC'" -c 'SET extra_float_digits = 3' 2>&1 | tr '\n' ' ' | sed 's/ $//')"
contains "statement_timeout" "57014: canceling statement due to statement timeout" \
  "$(q -c 'SET statement_timeout = 300' -c 'select count(*) from range(100000000000)')"
contains "cancel (psql SIGINT)" "canceling statement due to user request" \
  "$(timeout -s INT 1 psql "$DSN" -X -c 'select count(*) from range(100000000000)' 2>&1)"

# --- values: the text of every value must equal DuckDB's own CAST(v AS VARCHAR)
types=(
  "boolean|true, false, NULL" "tinyint|-128, 127" "smallint|-32768" "integer|2147483647" "bigint|-9223372036854775808, 9007199254740993"
  "hugeint|-170141183460469231731687303715884105728" "utinyint|255" "usmallint|65535" "uinteger|4294967295"
  "ubigint|18446744073709551615" "uhugeint|340282366920938463463374607431768211455" "decimal(4,1)|-0.5, 999.9"
  "decimal(18,3)|-999999999999999.999" "decimal(38,10)|1234567890123456789012345678.0123456789"
  "real|0.1::real, 125908475904::real, 'nan'::real, '-inf'::real, -0.0::real" "double|0.1, 1e300, -0.0, 'nan', 'inf', 5e-324, 1e16, 1e-5, 100"
  "varchar|'héllo ✓', 'it''s', 'a' || chr(10) || 'b', ''" "blob|'\\xAA\\x00ab'::blob, from_hex('22275c7f')"
  "date|'2024-01-02', 'infinity', '0044-03-15 (BC)', '5881580-07-10'" "time|'23:59:59.999999', '24:00:00'"
  "timestamp|'2024-01-02 03:04:05.123456', '-infinity', '290308-12-22 (BC) 00:00:00'" "timestamp_s|'2024-01-02 03:04:05'"
  "timestamp_ms|'2024-01-02 03:04:05.5'" "timestamp_ns|'2024-01-02 03:04:05.123456789'" "timestamptz|'2024-01-02 03:04:05.123456+00'"
  "interval|INTERVAL '1 year 2 days 3 hours', INTERVAL '-1 month -00:00:01.5'" "uuid|'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'"
  "ENUM('sad','happy')|'happy'" "integer[]|[1, 2, NULL], []" "varchar[]|['a', 'b c', ' x', 'NULL', '', NULL, 'a,b', 'it''s']"
  "STRUCT(a INTEGER, b VARCHAR)|{'a': 1, 'b': 'x y'}, {'a': NULL, 'b': 'k=v'}" "MAP(VARCHAR, INTEGER)|MAP {'k': 1, 'a b': NULL}"
  "INTEGER[3]|[1, 2, 3]" "VARCHAR[2]|['a,b', 'c']" "JSON|'{\"a\": [1, 2]}'" "JSON[]|['{\"a\": 1}']" "UNION(a INTEGER, b VARCHAR)|1"
  "BIT|'10110'" "TIMETZ|'12:00:00+05:30'" "TIME_NS|'12:34:56.123456789'" "BIGNUM|-12345678901234567890123456789"
)
bad=0
for tv in "${types[@]}"; do
  typ=${tv%%|*}
  sql="SELECT v, CAST(v AS VARCHAR) FROM (SELECT UNNEST([${tv#*|}]::${typ}[]) AS v)"
  [[ "$typ" == *"[3]" || "$typ" == *"[2]" ]] && sql="SELECT v, CAST(v AS VARCHAR) FROM (SELECT ${tv#*|}::${typ} AS v)"
  res=$(psql "$DSN" -XAt -F $'\x1f' -R $'\x1e' -c "$sql" 2>&1)
  if [[ "$res" == *ERROR* ]]; then echo "FAIL value check $typ: $res"; bad=$((bad + 1)); continue; fi
  while IFS=$'\x1f' read -r -d $'\x1e' a b; do
    [ "$a" == "$b" ] || { echo "FAIL value $typ: sent [$a], CAST gives [$b]"; bad=$((bad + 1)); }
  done <<<"$res"$'\x1e'
done
check "values equal CAST(v AS VARCHAR) for ${#types[@]} types" 0 "$bad"
check "TIMESTAMPTZ in session TimeZone" "2024-06-01 08:00:00-04" \
  "$(q -c "SET TimeZone = 'America/New_York'" -c "select TIMESTAMPTZ '2024-06-01 12:00:00+00'")"

# --- COPY (off by default, switched on through the control port)
contains "control: copy on" '"copy":true' "$(post '{"copy": true}')"
check "COPY TO STDOUT csv" "$(printf 'i,s\n0,"a,b"\n1,')" "$(q -c "copy (select i, case when i = 0 then 'a,b' end as s from range(2) t(i)) to stdout (format csv, header)")"
printf 'a,b\n1,x\n2,"y, z"\n3,\n' >"$T/in.csv"
q -c 'create table ci(a int, b varchar)' >/dev/null
check "COPY FROM STDIN csv" "COPY 3|3|1" "$(psql "$DSN" -XAt -c "\\copy ci from '$T/in.csv' (format csv, header)" 2>&1)|$(q -c 'select count(*), count(*) filter (b is null) from ci')"
post '{"copy": false}' >/dev/null

# --- control port: stats; close_after_rows
contains "stats" '"active_queries":0' "$(get /stats)"
post '{"close_after_rows": 10}' >/dev/null
contains "close_after_rows drops the connection" "SSL SYSCALL error" "$(q -c 'select * from range(100)')"
post '{"close_after_rows": null}' >/dev/null

# --- speed: psql --csv over 3M rows (the benchmark baseline)
start=$(date +%s.%N)
rows=$(psql "$DSN" -X --csv -c 'select * from range(3000000)' | wc -l)
echo "INFO psql --csv, 3M rows of range(): $(echo "$(date +%s.%N) - $start" | bc) s"
check "3M rows arrived" 3000001 "$rows"

echo "rss after tests: $(get /stats)"
if [ "$fails" -eq 0 ]; then echo "ALL PASSED"; else echo "$fails FAILED"; fi
[ "$fails" -eq 0 ]
