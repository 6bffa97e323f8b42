-- One database per service that keeps state (docker-compose's Postgres runs this once).
CREATE DATABASE edfleet_ingest;
CREATE DATABASE edfleet_analytics;
CREATE DATABASE edfleet_rules;
CREATE DATABASE edfleet_summaries;
CREATE DATABASE edfleet_notify;
CREATE DATABASE edfleet_gateway;
