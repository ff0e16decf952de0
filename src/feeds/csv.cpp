// CSV feeds: our own RFC 4180 parser (it must stream, number records by the line they start on,
// cap record size and report errors per row). Columns are the rulebook's (rules::find_column).
#include <algorithm>

#include "../strings.hpp"
#include "reader.hpp"

namespace falcon::internal::feed {

namespace {

using internal::lower;
using internal::printable;
using internal::trim;

class CsvReader {
 public:
  CsvReader(CharReader& r, std::size_t max) : r_(r), max_(max) {}

  /// Columns of the header: a quoted field holding a line with that many fields is a stray
  /// quote that swallowed rows, not a multi-line value.
  void set_columns(std::size_t n) { columns_ = n; }

  enum class Result { record, end, bad, fatal };

  // Reads one record into `fields`; `start` is the line it began on.
  Result next(std::vector<std::string>& fields, std::size_t& start, std::string& why) {
    fields.clear();
    start = line_;
    if (r_.peek() == EOF) return Result::end;
    std::size_t bytes = 0;
    std::string field;
    bool bad = false;
    while (true) {
      field.clear();
      int c = r_.peek();
      if (c == '"') {
        r_.get();
        const std::size_t open_line = line_;
        std::size_t commas = 0;  // on the current embedded line
        while (true) {
          c = r_.get();
          if (c == EOF) {
            why = "unterminated quoted field (opened on line " + std::to_string(open_line) + ")";
            return Result::fatal;
          }
          if (c == '\n') {
            ++line_;
            commas = 0;
          }
          if (c == ',' && line_ > open_line && columns_ > 1 && ++commas + 1 >= columns_ && !bad) {
            why = "a quoted field opened on line " + std::to_string(open_line) +
                  " runs over lines that look like rows (a stray quote?)";
            bad = true;
          }
          if (c == '"') {
            if (r_.peek() == '"') {
              r_.get();
              field += '"';
              continue;
            }
            break;
          }
          field += static_cast<char>(c);
          if (++bytes > max_) return too_big(why);
        }
        c = r_.peek();
        if (c != ',' && c != '\n' && c != '\r' && c != EOF) {
          // RFC 4180: nothing may follow the closing quote but a separator.
          if (!bad) {
            why =
                "characters after the closing quote of field " + std::to_string(fields.size() + 1);
          }
          bad = true;
          while (c != ',' && c != '\n' && c != '\r' && c != EOF) {
            r_.get();
            if (++bytes > max_) return too_big(why);
            c = r_.peek();
          }
        }
      } else {
        while (c != ',' && c != '\n' && c != '\r' && c != EOF) {
          field += static_cast<char>(r_.get());
          if (++bytes > max_) return too_big(why);
          c = r_.peek();
        }
      }
      fields.push_back(std::move(field));
      c = r_.get();
      if (c == ',') continue;
      if (c == '\r' && r_.peek() == '\n') r_.get();
      if (c != EOF) ++line_;
      return bad ? Result::bad : Result::record;
    }
  }

 private:
  Result too_big(std::string& why) {
    why = "record longer than " + std::to_string(max_) + " bytes";
    return Result::fatal;
  }

  CharReader& r_;
  std::size_t max_;
  std::size_t line_ = 1;
  std::size_t columns_ = 0;
};

// A cell falcon-ioc export neutralised for spreadsheets ("'=1+2", "'-1"): one leading quote
// before = + - @ TAB or CR, after any further quotes. Exactly that quote is dropped, so the
// export -> import round trip gives back every value (docs/cli.md, "CSV and spreadsheets").
std::string_view unneutralise(std::string_view cell) {
  std::size_t q = 0;
  while (q < cell.size() && cell[q] == '\'') ++q;
  const bool formula = q > 0 && q < cell.size() &&
                       std::string_view("=+-@\t\r").find(cell[q]) != std::string_view::npos;
  return formula ? cell.substr(1) : cell;
}

}  // namespace

void read_csv(CharReader& r, Sink& sink) {
  ReadSummary& s = sink.summary();
  CsvReader csv(r, sink.options().max_record_bytes);
  std::vector<std::string> fields;
  std::size_t line = 0;
  std::string why;
  std::vector<const rules::Field*> cols;
  bool header = false;
  while (!sink.stopped()) {
    auto res = csv.next(fields, line, why);
    if (res == CsvReader::Result::end) break;
    if (res == CsvReader::Result::fatal) {
      sink.fatal(line, "", why);
      return;
    }
    const bool blank = fields.size() == 1 && trim(fields[0]).empty();
    if (blank) continue;
    if (!header) {
      if (res == CsvReader::Result::bad) {
        sink.fatal(line, "", "header row: " + why);
        return;
      }
      for (const auto& f : fields) {
        const std::string name = lower(trim(f));
        const rules::Field* c = rules::find_column(name);
        if (c == nullptr) {
          sink.fatal(line, name,
                     "unknown column '" + printable(name) +
                         "' in the header (known: " + rules::column_list() + ")");
          return;
        }
        if (std::find(cols.begin(), cols.end(), c) != cols.end()) {
          sink.fatal(line, name, "column '" + name + "' appears twice in the header");
          return;
        }
        cols.push_back(c);
      }
      if (std::none_of(cols.begin(), cols.end(),
                       [](const rules::Field* c) { return c->key == "value"; })) {
        sink.fatal(line, "value", "the header row has no 'value' column");
        return;
      }
      header = true;
      csv.set_columns(cols.size());
      continue;
    }
    ++s.records;
    if (res == CsvReader::Result::bad) {
      sink.error(line, "", "", why);
      continue;
    }
    if (fields.size() != cols.size()) {
      sink.error(line, "", "",
                 std::to_string(fields.size()) + " fields, but the header has " +
                     std::to_string(cols.size()));
      continue;
    }
    // The row's type and value cells: a row that fails on another field still names them.
    std::string_view type_cell, value_cell;
    for (std::size_t i = 0; i < cols.size(); ++i) {
      if (cols[i]->key == "type") type_cell = unneutralise(fields[i]);
      if (cols[i]->key == "value") value_cell = unneutralise(fields[i]);
    }
    IndicatorSpec spec;
    bool ok = true;
    for (std::size_t i = 0; i < cols.size() && ok; ++i) {
      const rules::Field& f = *cols[i];
      // Free text keeps its spaces; an empty cell leaves the field unset.
      const std::string_view raw = unneutralise(fields[i]);
      const std::string_view cell = f.kind == rules::Kind::free_text ? raw : trim(raw);
      if (trim(cell).empty()) continue;
      if (f.key == "id") continue;  // written by export; the API assigns ids
      if (auto p = rules::set_from_text(spec, f, cell)) {
        sink.error(line, p->field, p->value, p->reason,
                   names_of(type_cell, value_cell, sink.options().lookup));
        ok = false;
      }
    }
    if (ok && !sink.add(std::move(spec), line)) return;
  }
  if (!header && !s.fatal) sink.fatal(1, "", "no header row: the CSV is empty");
}

}  // namespace falcon::internal::feed
