// falcon-ioc's output (output.hpp).
#include "output.hpp"

#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
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

Style output_style(const Global& g) {
  Style s;
  s.wide = g.wide;
  s.csv_raw = g.csv_raw;
  // $COLUMNS first (scripts and tests set it), then the terminal, then 80.
  if (const char* c = std::getenv("COLUMNS"); c != nullptr && *c != '\0') {
    char* end = nullptr;
    const long v = std::strtol(c, &end, 10);
    if (*end == '\0' && v >= 20 && v <= 10000) {
      s.width = static_cast<std::size_t>(v);
      return s;
    }
  }
  winsize ws{};
  if (isatty(STDOUT_FILENO) == 1 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) {
    s.width = ws.ws_col;
  }
  return s;
}

namespace {

void hex_escape(std::string& out, unsigned char b) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[b >> 4];
  out += kHex[b & 0xF];
}

// Length of the valid UTF-8 sequence at s[i] and its code point; 0 when invalid.
std::size_t utf8_seq(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  if (b < 0x80) {
    cp = b;
    return 1;
  }
  if ((b & 0xE0) == 0xC0) {
    n = 2;
    cp = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    n = 3;
    cp = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    n = 4;
    cp = b & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

}  // namespace

std::string escape_controls(std::string_view s, bool keep_newlines) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    const std::size_t n = utf8_seq(s, i, cp);
    if (n == 0) {
      hex_escape(out, static_cast<unsigned char>(s[i]));
      ++i;
      continue;
    }
    if (cp == '\n' && keep_newlines) {
      out += '\n';
    } else if (cp < 0x20 || cp == 0x7F) {
      hex_escape(out, static_cast<unsigned char>(cp));
    } else if (cp >= 0x80 && cp <= 0x9F) {
      // C1 controls (U+009B is a CSI on some terminals).
      for (std::size_t k = 0; k < n; ++k) hex_escape(out, static_cast<unsigned char>(s[i + k]));
    } else if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) {
      // Bidi overrides reorder what follows them on screen.
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::size_t text_width(std::string_view s) {
  std::size_t w = 0;
  for (char c : s) w += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return w;
}

std::string truncate_to(std::string_view s, std::size_t width) {
  if (text_width(s) <= width) return std::string(s);
  if (width == 0) return "";
  std::string out;
  std::size_t w = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool lead = (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
    if (lead && ++w > width - 1) break;
    out += s[i];
  }
  return out + "\u2026";
}

bool csv_formula_like(std::string_view s) {
  std::size_t q = 0;
  while (q < s.size() && s[q] == '\'') ++q;
  return q < s.size() && std::string_view("=+-@\t\r").find(s[q]) != std::string_view::npos;
}

std::string csv_cell(const std::string& s, bool raw) {
  const std::string v = !raw && csv_formula_like(s) ? "'" + s : s;
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

bool stdout_failed() {
  return !std::cout.good();
}

bool stdout_closed() {
  if (!stdout_failed()) return false;
  // The write end of a pipe (or socket) whose reader is gone polls as an error.
  pollfd p{STDOUT_FILENO, POLLOUT, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & POLLERR) != 0;
}

namespace {

// The table's columns: the usual few, or with --wide every CSV column.
std::vector<const falcon::rules::Field*> table_fields(bool wide) {
  std::vector<const falcon::rules::Field*> out;
  for (const auto& f : falcon::rules::fields()) {
    if (f.column.empty()) continue;
    if (wide || f.key == "id" || f.key == "type" || f.key == "value" || f.key == "action" ||
        f.key == "severity" || f.key == "source") {
      out.push_back(&f);
    }
  }
  return out;
}

// Columns the table layout shrinks (to a minimum width) and then drops, last first.
constexpr std::size_t kGap = 2, kHeldRows = 100;

}  // namespace

void IndicatorWriter::layout() {
  laid_out_ = true;
  widths_.assign(headers_.size(), 0);
  for (std::size_t c = 0; c < headers_.size(); ++c) widths_[c] = text_width(headers_[c]);
  for (const auto& row : pending_) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      widths_[c] = std::max(widths_[c], text_width(row[c]));
    }
  }
  if (style_.wide) return;
  // Fit the width: VALUE and SOURCE shrink (down to 20 and 8), then SOURCE, ACTION and SEVERITY
  // are dropped. ID, TYPE and VALUE always stay, and the id is never cut: update and delete
  // need it whole.
  auto total = [&] {
    std::size_t t = 0, shown = 0;
    for (auto w : widths_) {
      if (w > 0) t += w, ++shown;
    }
    return t + (shown > 0 ? (shown - 1) * kGap : 0);
  };
  auto col = [&](std::string_view name) {
    for (std::size_t c = 0; c < headers_.size(); ++c) {
      if (headers_[c] == name) return c;
    }
    return headers_.size();
  };
  for (auto [name, min] : {std::pair<const char*, std::size_t>{"SOURCE", 8}, {"VALUE", 20}}) {
    const std::size_t c = col(name);
    if (c == headers_.size()) continue;
    const std::size_t t = total();
    if (t <= style_.width) break;
    const std::size_t over = t - style_.width;
    const std::size_t floor = std::max(min, text_width(headers_[c]));
    if (widths_[c] > floor) widths_[c] -= std::min(over, widths_[c] - floor);
  }
  for (const char* name : {"SOURCE", "ACTION", "SEVERITY"}) {
    if (total() <= style_.width) break;
    const std::size_t c = col(name);
    if (c < headers_.size()) widths_[c] = 0;
  }
}

void IndicatorWriter::print_row(const std::vector<std::string>& cells) {
  std::string line;
  bool first = true;
  for (std::size_t c = 0; c < cells.size(); ++c) {
    if (widths_[c] == 0) continue;
    if (!first) line.append(kGap, ' ');
    first = false;
    const std::string cell = style_.wide ? cells[c] : truncate_to(cells[c], widths_[c]);
    line += cell;
    const std::size_t w = text_width(cell);
    if (c + 1 < cells.size() && w < widths_[c]) line.append(widths_[c] - w, ' ');
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  out_ << line << "\n";
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
        line += csv_cell(falcon::rules::text_of(i, f), style_.csv_raw);
      }
      out_ << line << "\n";
      break;
    }
    case Fmt::table: {
      const auto fields = table_fields(style_.wide);
      if (headers_.empty()) {
        for (const auto* f : fields) {
          std::string h(f->column);
          for (char& ch : h) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
          headers_.push_back(h);
        }
      }
      const auto i = rec.get<falcon::Indicator>();
      std::vector<std::string> cells;
      for (const auto* f : fields) {
        const std::string v = falcon::rules::text_of(i, *f);
        cells.push_back(v.empty() ? "-" : escape_controls(v));
      }
      if (laid_out_) {
        print_row(cells);
      } else {
        pending_.push_back(std::move(cells));
        if (pending_.size() >= kHeldRows) finish();
      }
      break;
    }
  }
  ++n_;
}

void IndicatorWriter::finish() {
  if (f_ == Fmt::json) out_ << (n_ == 0 ? "[]\n" : "\n]\n");
  if (f_ == Fmt::table && !laid_out_ && !pending_.empty()) {
    layout();
    print_row(headers_);
    for (const auto& row : pending_) print_row(row);
    pending_.clear();
  }
  out_ << std::flush;
}

void write_values(Fmt f, const json& values, Style style) {
  if (f == Fmt::json) {
    std::cout << values.dump(2) << "\n";
    return;
  }
  for (const auto& v : values) {
    if (stdout_failed()) return;
    if (f == Fmt::ndjson) {
      std::cout << v.dump() << "\n";
    } else {
      const std::string text = v.is_string() ? v.get<std::string>() : v.dump();
      std::cout << (f == Fmt::csv ? csv_cell(text, style.csv_raw) : escape_controls(text)) << "\n";
    }
  }
}

void print_issue(const std::string& file, const falcon::feeds::FeedIssue& i) {
  std::cerr << escape_controls(file) << ":" << i.line << ": "
            << (i.duplicate ? "duplicate" : "error");
  if (!i.field.empty()) std::cerr << " in " << escape_controls(i.field);
  if (!i.value.empty()) std::cerr << " '" << escape_controls(i.value) << "'";
  std::cerr << ": " << escape_controls(i.reason) << "\n";
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
  // Server and feed text, escaped: a value must not drive the terminal.
  std::cout << escape_controls(c.type) << " " << escape_controls(c.value);
  if (c.kind == fsync::ChangeKind::conflict) {
    std::cout << " (exists outside the scope, source '" << escape_controls(c.existing_source)
              << "')";
  }
  if (!c.fields.empty() && c.kind != fsync::ChangeKind::expire) {
    std::cout << " (";
    for (std::size_t i = 0; i < c.fields.size(); ++i) {
      std::cout << (i ? ", " : "") << escape_controls(c.fields[i].field) << ": "
                << escape_controls(c.fields[i].before.dump()) << " -> "
                << escape_controls(c.fields[i].after.dump());
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

void print_summary(const Global& g, const std::string& line) {
  if (!g.quiet) std::cerr << line << "\n";
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
