#!/usr/bin/env bash
# First start of the compose PostgreSQL only (docker-entrypoint-initdb.d): one database per
# component, a migrator role owning it (DDL) and an app role with DML only (services/*/DATABASE.md).
# Passwords come from the environment (compose/.env), never from this file.
set -euo pipefail
: "${HUB_DB_MIGRATOR_PASSWORD:?}" "${HUB_DB_APP_PASSWORD:?}" "${CONNECTORS_DB_PASSWORD:?}" "${REGISTRY_DB_PASSWORD:?}"

psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB")

owner_db() { # <database> <owner role> <password>
  "${psql[@]}" -v db="$1" -v role="$2" -v pw="$3" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'pw';
CREATE DATABASE :"db" OWNER :"role";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
SQL
}

app_role() { # <database> <migrator role> <app role>
  "${psql[@]}" -v db="$1" -v migrator="$2" -v role="$3" -v pw="$HUB_DB_APP_PASSWORD" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'pw';
GRANT CONNECT ON DATABASE :"db" TO :"role";
\connect :"db"
GRANT USAGE ON SCHEMA public TO :"role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO :"role";
SQL
}

owner_db hub_consolidation consolidation_migrator "$HUB_DB_MIGRATOR_PASSWORD"
app_role hub_consolidation consolidation_migrator consolidation_app
owner_db hub_datasets datasets_migrator "$HUB_DB_MIGRATOR_PASSWORD"
app_role hub_datasets datasets_migrator datasets_app
owner_db hub_console hub_console_migrator "$HUB_DB_MIGRATOR_PASSWORD"
app_role hub_console hub_console_migrator hub_console_app
# Connectors run and migrate with one role (CONNECTOR_DATABASE_URL); Apicurio owns its schema store.
owner_db hub_connectors connectors "$CONNECTORS_DB_PASSWORD"
owner_db registry apicurio "$REGISTRY_DB_PASSWORD"
