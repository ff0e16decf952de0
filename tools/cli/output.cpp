// falcon-ioc's output (output.hpp).
#include "output.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <sstream>

#include "falcon/indicators.hpp"

namespace falcon_cli {

using nlohmann::json;
namespace fsync = falcon::sync;

Fmt output_format(const Global& g) {
  if (g.format.empty()) return isatty(STDOUT_FILENO) == 1 ? Fmt::table : Fmt::ndjson;
  if (g.format == "table") return Fmt::table;
  if (g.format == "json") return Fmt::json;
  if (g.format == "ndjson") return Fmt::ndjson;
  return Fmt::csv;
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void IndicatorWriter::write(const json& rec) {
  switch (f_) {
    case Fmt::json:
      out_ << (n_ == 0 ? "[\n" : ",\n") << rec.dump();
      break;
    case Fmt::ndjson:
      out_ << rec.dump() << "\n";
      break;
    case Fmt::csv: {
      const auto& fields = falcon::rules::fields();
      if (n_ == 0) {
        std::string header;
        for (const auto& f : fields) {
          if (!f.column.empty()) header += (header.empty() ? "" : ",") + std::string(f.column);
        }
        out_ << header << "\n";
      }
      const auto i = rec.get<falcon::Indicator>();
      std::string line;
      bool first = true;
      for (const auto& f : fields) {
        if (f.column.empty()) continue;
        if (!first) line += ',';
        first = false;
        line += csv_cell(falcon::rules::text_of(i, f));
      }
      out_ << line << "\n";
      break;
    }
    case Fmt::table: {
      char buf[512];
      if (n_ == 0) {
        std::snprintf(buf, sizeof buf, "%-8s %-64s %-13s %-13s %s\n", "TYPE", "VALUE", "ACTION",
                      "SEVERITY", "SOURCE");
        out_ << buf;
      }
      const auto i = rec.get<falcon::Indicator>();
      std::snprintf(buf, sizeof buf, "%-8s %-64s %-13s %-13s %s\n", i.type.c_str(), i.value.c_str(),
                    i.action.value_or("-").c_str(), i.severity.value_or("-").c_str(),
                    i.source.value_or("-").c_str());
      out_ << buf;
      break;
    }
  }
  ++n_;
}

void IndicatorWriter::finish() {
  if (f_ == Fmt::json) out_ << (n_ == 0 ? "[]\n" : "\n]\n");
  out_ << std::flush;
}

void write_values(Fmt f, const json& values) {
  if (f == Fmt::json) {
    std::cout << values.dump(2) << "\n";
    return;
  }
  for (const auto& v : values) {
    if (f == Fmt::ndjson) {
      std::cout << v.dump() << "\n";
    } else {
      std::cout << (v.is_string() ? csv_cell(v.get<std::string>()) : v.dump()) << "\n";
    }
  }
}

void print_issue(const std::string& file, const falcon::feeds::FeedIssue& i) {
  std::cerr << file << ":" << i.line << ": " << (i.duplicate ? "duplicate" : "error");
  if (!i.field.empty()) std::cerr << " in " << i.field;
  if (!i.value.empty()) std::cerr << " '" << i.value << "'";
  std::cerr << ": " << i.reason << "\n";
}

std::string item_reason(const falcon::BulkItem& item) {
  std::string out;
  for (const auto& m : item.messages) {
    out +=
        (out.empty() ? "" : "; ") + (m.field_name.empty() ? "" : m.field_name + ": ") + m.message;
  }
  if (item.error) out += (out.empty() ? "" : "; ") + item.error->describe();
  if (item.outcome_unknown) out += " (may have been written)";
  return out.empty() ? "HTTP " + std::to_string(item.status_code) : out;
}

namespace {

json change_json(const fsync::Change& c) {
  json j = {{"op", fsync::to_string(c.kind)}, {"type", c.type}, {"value", c.value}};
  if (!c.id.empty()) j["id"] = c.id;
  if (c.line) j["line"] = c.line;
  if (!c.fields.empty()) {
    json f = json::object();
    for (const auto& fc : c.fields) f[fc.field] = {{"before", fc.before}, {"after", fc.after}};
    j["fields"] = f;
  }
  if (!c.existing_source.empty()) j["existing_source"] = c.existing_source;
  return j;
}

}  // namespace

namespace {

// "1h 2m 3s" (the parts that are not zero; "0s" for none).
std::string duration_words(std::chrono::seconds d) {
  const auto s = d.count();
  std::string out;
  if (s >= 3600) out += std::to_string(s / 3600) + "h ";
  if (s % 3600 >= 60) out += std::to_string(s % 3600 / 60) + "m ";
  if (s % 60 != 0 || out.empty()) out += std::to_string(s % 60) + "s ";
  out.pop_back();
  return out;
}

json summary_json(const fsync::Plan& p, double rate_share) {
  return {{"create", p.count(fsync::ChangeKind::create)},
          {"update", p.count(fsync::ChangeKind::update)},
          {"adopt", p.count(fsync::ChangeKind::adopt)},
          {"delete", p.count(fsync::ChangeKind::remove)},
          {"expire", p.count(fsync::ChangeKind::expire)},
          {"conflict", p.count(fsync::ChangeKind::conflict)},
          {"unchanged", p.unchanged},
          {"write_requests", p.write_requests},
          {"least_apply_seconds", p.least_apply_time(rate_share).count()}};
}

}  // namespace

void PlanPrinter::change(const fsync::Change& c) {
  if (f_ == Fmt::ndjson) {
    std::cout << change_json(c).dump() << "\n";
    return;
  }
  if (f_ == Fmt::json) {
    std::cout << (first_ ? "{\n  \"changes\": [\n    " : ",\n    ") << change_json(c).dump();
    first_ = false;
    return;
  }
  switch (c.kind) {
    case fsync::ChangeKind::create:
      std::cout << "+ create ";
      break;
    case fsync::ChangeKind::update:
      std::cout << "~ update ";
      break;
    case fsync::ChangeKind::adopt:
      std::cout << "~ adopt  ";
      break;
    case fsync::ChangeKind::remove:
      std::cout << "- delete ";
      break;
    case fsync::ChangeKind::expire:
      std::cout << "- expire ";
      break;
    case fsync::ChangeKind::conflict:
      std::cout << "! conflict ";
      break;
  }
  std::cout << c.type << " " << c.value;
  if (c.kind == fsync::ChangeKind::conflict) {
    std::cout << " (exists outside the scope, source '" << c.existing_source << "')";
  }
  if (!c.fields.empty() && c.kind != fsync::ChangeKind::expire) {
    std::cout << " (";
    for (std::size_t i = 0; i < c.fields.size(); ++i) {
      std::cout << (i ? ", " : "") << c.fields[i].field << ": " << c.fields[i].before.dump()
                << " -> " << c.fields[i].after.dump();
    }
    std::cout << ")";
  }
  std::cout << "\n";
}

void PlanPrinter::end(const fsync::Plan& p, double rate_share) {
  if (f_ == Fmt::ndjson) return;
  if (f_ == Fmt::json) {
    std::cout << (first_ ? "{\n  \"changes\": []" : "\n  ]")
              << ",\n  \"scope\": " << json(p.scope).dump()
              << ",\n  \"summary\": " << summary_json(p, rate_share).dump() << "\n}\n";
    return;
  }
  std::cout << "Plan: " << p.count(fsync::ChangeKind::create) << " to create, "
            << p.count(fsync::ChangeKind::update) + p.count(fsync::ChangeKind::adopt)
            << " to update, " << p.count(fsync::ChangeKind::remove) << " to delete, "
            << p.count(fsync::ChangeKind::expire) << " to expire, "
            << p.count(fsync::ChangeKind::conflict) << " conflicts, " << p.unchanged
            << " unchanged.\n";
  if (p.write_requests > 0) {
    std::cout << "Writing it takes " << p.write_requests << " request"
              << (p.write_requests == 1 ? "" : "s");
    if (rate_share > 0) {
      std::cout << ", at least " << duration_words(p.least_apply_time(rate_share)) << " at "
                << static_cast<int>(rate_share * 100 + 0.5) << "% of the API's "
                << p.rate_limit.value_or(6000) << " requests a minute (--rate-share)";
    }
    std::cout << ".\n";
  }
}

void print_plan(const fsync::Plan& p, Fmt f, double rate_share) {
  PlanPrinter out(f);
  for (const auto& c : p.changes) out.change(c);
  out.end(p, rate_share);
}

Progress::Progress(bool enabled, std::string what, std::size_t total)
    : on_(enabled && isatty(STDERR_FILENO) == 1),
      what_(std::move(what)),
      total_(total),
      start_(std::chrono::steady_clock::now()) {}

void Progress::update(std::size_t done) {
  if (!on_) return;
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
  std::string bar;
  if (total_ > 0) {
    const std::size_t w = 30, fill = std::min(w, done * w / total_);
    bar = "[" + std::string(fill, '=') + std::string(w - fill, ' ') + "] ";
  }
  char buf[160];
  if (total_ > 0 && rate > 0) {
    const double eta = static_cast<double>(total_ > done ? total_ - done : 0) / rate;
    std::snprintf(buf, sizeof buf, "%zu/%zu %.0f/s ETA %.0fs", done, total_, rate, eta);
  } else {
    std::snprintf(buf, sizeof buf, "%zu %.0f/s", done, rate);
  }
  std::string line = buf;
  if (!note_.empty()) line += ", " + note_;
  std::cerr << "\r" << what_ << " " << bar << line << "   " << std::flush;
  drawn_ = true;
}

void Progress::finish() {
  if (drawn_) std::cerr << "\n";
  drawn_ = false;
}

}  // namespace falcon_cli
