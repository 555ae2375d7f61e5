#!/bin/sh
# Runs once, when the official postgres image initialises an empty data folder (docker-entrypoint-initdb.d):
# the role the service and the workers connect as, with its password from a secret. `techreg migrate` (as
# the owner, POSTGRES_USER) then grants it what it needs (migrations/0015_app_role.sql) and nothing more.
set -eu
password_file="${TECHREG_APP_PASSWORD_FILE:-/run/secrets/techreg_app_password}"
password=$(cat "$password_file")
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" --set=app_password="$password" <<'SQL'
CREATE ROLE techreg_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'app_password';
SQL
