#include "statement_store_loader.h"

#include <libpq-fe.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <stdexcept>
#include <vector>

#include "domain/xapi/statement_form.h"
#include "edfleet/core/time_format.h"
#include "edfleet/pg/migrations.h"
#include "ingest_app.h"

namespace edfleet::bench::xapi {
namespace {

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// COPY text format: backslash, tab, newline and carriage return escaped.
void append_copy_field(std::string& out, std::string_view value) {
  for (const char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void copy_rows(const std::string& url, const StoreLayout& layout) {
  PGconn* conn = PQconnectdb(url.c_str());
  struct Closer {
    PGconn* conn;
    ~Closer() { PQfinish(conn); }
  } closer{conn};
  if (PQstatus(conn) != CONNECTION_OK)
    throw std::runtime_error(std::string("COPY connection: ") + PQerrorMessage(conn));
  PGresult* begun = PQexec(conn,
                           "COPY xapi_statements (tenant, statement_id, stored, actor_key, object_agent_key, verb_id, "
                           "activity_id, registration, voids, voided, statement) FROM STDIN");
  const bool copying = PQresultStatus(begun) == PGRES_COPY_IN;
  PQclear(begun);
  if (!copying) throw std::runtime_error(std::string("COPY: ") + PQerrorMessage(conn));

  std::vector<std::string> actor_keys(static_cast<std::size_t>(layout.population.learners));
  for (int l = 0; l < layout.population.learners; ++l) {
    actor_keys[static_cast<std::size_t>(l)] = ingest::xapi::actor_key(nlohmann::json::parse(learner_agent_json(l)));
  }
  std::string chunk;
  chunk.reserve(4 << 20);
  for (std::int64_t i = 0; i < layout.statements; ++i) {
    const StatementSpec spec = layout.spec(i);
    const std::string stored = core::format_rfc3339(layout.stored_at(i));
    chunk += layout.tenant;
    chunk += '\t';
    chunk += spec.id;
    chunk += '\t';
    chunk += stored;
    chunk += '\t';
    append_copy_field(chunk, actor_keys[static_cast<std::size_t>(spec.learner)]);
    chunk += "\t\\N\t";
    chunk += verb_id(spec.verb);
    chunk += '\t';
    chunk += activity_id(spec.activity);
    chunk += '\t';
    chunk += registration_id(spec.registration);
    chunk += "\t\\N\tf\t";
    append_copy_field(chunk, stored_statement(spec, stored, layout.tenant));
    chunk += '\n';
    if (chunk.size() >= (4 << 20) || i + 1 == layout.statements) {
      if (PQputCopyData(conn, chunk.data(), static_cast<int>(chunk.size())) != 1) {
        throw std::runtime_error(std::string("COPY data: ") + PQerrorMessage(conn));
      }
      chunk.clear();
    }
  }
  if (PQputCopyEnd(conn, nullptr) != 1) throw std::runtime_error(std::string("COPY end: ") + PQerrorMessage(conn));
  bool failed = false;
  std::string error;
  while (PGresult* result = PQgetResult(conn)) {
    if (PQresultStatus(result) != PGRES_COMMAND_OK) {
      failed = true;
      error = PQresultErrorMessage(result);
    }
    PQclear(result);
  }
  if (failed) throw std::runtime_error("COPY failed: " + error);
}

}  // namespace

core::Timestamp StoreLayout::stored_at(std::int64_t index) const {
  const auto step = std::chrono::duration_cast<std::chrono::microseconds>(span) / std::max<std::int64_t>(statements, 1);
  return last_stored - step * (statements - 1 - index);
}

StatementSpec StoreLayout::spec(std::int64_t index) const {
  const std::uint64_t h = mix(static_cast<std::uint64_t>(index) * 2 + 1);
  const std::uint64_t g = mix(h);
  StatementSpec spec;
  spec.learner = static_cast<int>(h % static_cast<std::uint64_t>(population.learners));
  spec.activity = static_cast<int>((h >> 20) % static_cast<std::uint64_t>(population.activities));
  spec.verb = static_cast<int>((h >> 40) % static_cast<std::uint64_t>(population.verbs));
  spec.registration = static_cast<int>(g % static_cast<std::uint64_t>(population.registrations));
  spec.seed = g;
  spec.id = statement_id(index);
  spec.timestamp = core::format_rfc3339(stored_at(index));
  return spec;
}

LoadFigures load_statement_store(const std::string& url, const StoreLayout& layout) {
  LoadFigures figures;
  std::vector<std::string> index_definitions;
  {
    pqxx::connection connection(url);
    pg::apply_migrations(connection, "ingest", ingest::migrations());
    pqxx::work work(connection);
    for (const auto& row : work.exec("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'xapi_statements' "
                                     "AND indexname <> 'xapi_statements_pkey'")) {
      index_definitions.push_back(row[1].as<std::string>());
      work.exec("DROP INDEX " + work.quote_name(row[0].as<std::string>()));
    }
    work.exec("ALTER TABLE xapi_statements DROP CONSTRAINT xapi_statements_pkey");
    work.commit();
  }
  auto started = std::chrono::steady_clock::now();
  copy_rows(url, layout);
  figures.copy_seconds = seconds_since(started);

  started = std::chrono::steady_clock::now();
  pqxx::connection connection(url);
  {
    pqxx::nontransaction work(connection);
    work.exec("SET maintenance_work_mem = '512MB'");
    work.exec("ALTER TABLE xapi_statements ADD PRIMARY KEY (tenant, statement_id)");
    for (const auto& definition : index_definitions) work.exec(definition);
    work.exec("VACUUM ANALYZE xapi_statements");
    figures.table_mib =
        work.exec("SELECT pg_total_relation_size('xapi_statements')")[0][0].as<double>() / (1024.0 * 1024.0);
  }
  figures.index_seconds = seconds_since(started);
  return figures;
}

}  // namespace edfleet::bench::xapi
