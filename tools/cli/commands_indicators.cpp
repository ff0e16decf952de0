// falcon-ioc's commands on single indicators and lookups: login, create, get, search, export,
// update, delete, aggregate, devices, processes, types.
#include <iostream>

#include "cli.hpp"
#include "falcon/fql.hpp"
#include "falcon/indicators.hpp"
#include "falcon/pagination.hpp"
#include "falcon/ranges.hpp"
#include "output.hpp"

namespace falcon_cli {

using nlohmann::json;

std::string describe(const falcon::Response& r) {
  if (r.error) return r.error->describe();
  std::string msg = "HTTP " + std::to_string(r.status_code);
  for (const auto& e : r.api_errors()) msg += ": " + e.message;
  return msg;
}

void check(const falcon::Response& r) {
  if (!r.ok()) throw CliError{kError, describe(r)};
}

namespace {

// The API's row messages of a refused create/update, one per line after the status.
[[noreturn]] void fail_write(const falcon::Response& r) {
  std::string msg = describe(r);
  for (const auto& m : r.resources_as<falcon::RowMessage>()) {
    msg += "\n  " + m.message_type + " in " + m.field_name + ": " + m.message;
  }
  throw CliError{kError, msg};
}

// A value given without --type: its type by the rulebook's strict inference, and the value in
// normal form (so `::ffff:1.2.3.4` is sent as the ipv4 indicator it denotes).
falcon::rules::TypedValue inferred(const std::string& value) {
  std::string why;
  auto tv = falcon::rules::normalize("", value, &why);
  if (!tv) throw CliError{kError, "--value: " + why + " (give --type to say what it is)"};
  return *tv;
}

}  // namespace

int cmd_login(const Global& g) {
  falcon::Config cfg = make_config(g);
  falcon::Client client(cfg);
  if (auto e = client.login()) throw CliError{kError, "login failed: " + e->describe()};
  const std::string url = client.base_url();
  std::string cloud = "custom";
  for (std::string_view name : falcon::cloud_names()) {
    if (falcon::cloud_base_url(name) == url) cloud = std::string(name);
  }
  json out = {{"base_url", url}, {"cloud", cloud}};
  if (auto exp = client.token_expiry()) {
    out["token_expires"] = falcon::fql::timestamp(*exp);
    out["token_expires_in_seconds"] =
        std::chrono::duration_cast<std::chrono::seconds>(*exp - std::chrono::system_clock::now())
            .count();
  }
  const Fmt f = output_format(g);
  if (f == Fmt::table) {
    std::cout << "Logged in.\n  base URL: " << url << "\n  cloud:    " << cloud << "\n";
    if (out.contains("token_expires")) {
      std::cout << "  token expires: " << out["token_expires"].get<std::string>() << " (in "
                << out["token_expires_in_seconds"].get<long long>() << " s)\n";
    }
  } else {
    std::cout << out.dump() << "\n";
  }
  return kOk;
}

int cmd_create(const Global& g, const FieldOpts& f) {
  falcon::IOC ioc(make_config(g));
  falcon::IndicatorSpec s = f.spec();
  if (!s.type) {
    auto tv = inferred(*s.value);
    s.type = tv.type;
    s.value = tv.value;
  }
  if (!s.applied_globally && !s.host_groups) s.applied_globally = true;
  if (auto tv = falcon::rules::normalize(s.type.value_or(""), s.value.value_or(""))) {
    if (auto why = g.allow().match(tv->type, tv->value)) {
      throw CliError{kRefused, "refused by the allow-list (" + *why + "): '" + tv->value +
                                   "' must never become an IOC; nothing written"};
    }
  }
  falcon::IndicatorCreateOptions o;
  o.indicators = json::array({json(s)});
  if (!f.comment.empty()) o.comment = f.comment;
  if (f.ignore_warnings) o.ignore_warnings = true;
  auto r = ioc.indicator_create(o);
  if (!r.ok()) fail_write(r);
  IndicatorWriter w(output_format(g), std::cout, output_style(g));
  for (const auto& rec : r.resources()) w.write(rec);
  w.finish();
  return kOk;
}

int cmd_get(const Global& g, const std::vector<std::string>& ids) {
  falcon::IOC ioc(make_config(g));
  auto r = falcon::get_indicators(ioc, ids);
  if (!r.ok() && r.status_code != 404) throw CliError{kError, describe(r)};
  IndicatorWriter w(output_format(g), std::cout, output_style(g));
  for (const auto& rec : r.resources()) w.write(rec);
  w.finish();
  int rc = kOk;
  for (const auto& e : r.api_errors()) {
    std::cerr << "error: " << escape_controls(e.message) << "\n";
    rc = kPartial;
  }
  if (rc != kOk && w.count() == 0) return kError;
  return rc;
}

int cmd_search(const Global& g, const SearchOpts& s, bool is_export) {
  falcon::IOC ioc(make_config(g));
  const Fmt f = is_export && g.format.empty() ? Fmt::csv : output_format(g);
  falcon::IndicatorQueryOptions q;
  if (!s.filter.empty()) q.filter = s.filter;
  if (!s.sort.empty()) q.sort = s.sort;
  q.limit = 2000;
  if (s.limit > 0 && s.limit < 2000) q.limit = s.limit;
  const auto enough = [&](std::size_t n) {
    return s.limit > 0 && n >= static_cast<std::size_t>(s.limit);
  };
  std::size_t n = 0;
  Progress bar(!g.quiet && is_export, "export", 0);
  // Every stop (limit, Ctrl-C, a failed write to stdout) is checked before the iterator
  // advances, since advancing past a page's last record requests the next page.
  const auto stop = [&] { return enough(n) || g_interrupted || stdout_failed(); };
  if (s.ids_only) {
    // Bare ids, one a line, whatever the format: for xargs and shell loops.
    auto ids = falcon::indicator_ids(ioc, q);
    for (auto it = ids.begin(); it != ids.end(); ++it) {
      std::cout << *it << "\n";
      ++n;
      if (stop()) break;
    }
    if (ids.error()) throw CliError{kError, describe(*ids.error())};
  } else {
    auto all = falcon::indicators(ioc, q);
    IndicatorWriter w(f, std::cout, output_style(g));
    for (auto it = all.begin(); it != all.end(); ++it) {
      if (n == 0 && all.total().value_or(0) > 0) {
        bar.set_total(static_cast<std::size_t>(*all.total()));
      }
      w.write(json(*it));
      if (++n % 2000 == 0) bar.update(n);
      if (stop()) break;
    }
    if (!stdout_failed()) w.finish();
    bar.finish();
    if (all.error()) {
      throw CliError{kError,
                     describe(*all.error()) + " (after " + std::to_string(n) + " indicators)"};
    }
  }
  if (stdout_failed()) return kOk;  // main tells a closed pipe (quiet) from a write error
  if (g_interrupted) throw CliError{kError, "interrupted after " + std::to_string(n)};
  if (is_export) print_summary(g, "exported " + std::to_string(n) + " indicators");
  return kOk;
}

int cmd_update(const Global& g, const std::string& id, const FieldOpts& f) {
  falcon::IOC ioc(make_config(g));
  falcon::IndicatorSpec s = f.spec();
  s.id = id;
  s.type.reset();
  s.value.reset();
  falcon::IndicatorUpdateOptions o;
  o.indicators = json::array({json(s)});
  if (!f.comment.empty()) o.comment = f.comment;
  if (f.ignore_warnings) o.ignore_warnings = true;
  auto r = ioc.indicator_update(o);
  if (!r.ok()) fail_write(r);
  IndicatorWriter w(output_format(g), std::cout, output_style(g));
  for (const auto& rec : r.resources()) w.write(rec);
  w.finish();
  return kOk;
}

int cmd_delete(const Global& g, const std::vector<std::string>& ids, const std::string& comment) {
  falcon::IOC ioc(make_config(g));
  falcon::BulkOptions o;
  if (!comment.empty()) o.comment = comment;
  auto r = falcon::bulk_delete(ioc, ids, o);
  for (const auto& item : r.items) {
    if (item.ok) {
      std::cout << ids[item.index] << "\n";
    } else {
      std::cerr << "error: " << escape_controls(ids[item.index]) << ": "
                << escape_controls(item_reason(item)) << "\n";
    }
  }
  print_summary(
      g, "deleted " + std::to_string(r.succeeded()) + ", failed " + std::to_string(r.failed()));
  if (r.failed() == 0) return kOk;
  return r.succeeded() == 0 ? kError : kPartial;
}

int cmd_aggregate(const Global& g, const std::string& field, const std::string& filter,
                  std::int64_t size) {
  falcon::IOC ioc(make_config(g));
  falcon::IndicatorAggregateOptions o;
  o.field = field;
  o.name = field;
  o.type = "terms";
  o.size = size;
  if (!filter.empty()) o.filter = filter;
  auto r = ioc.indicator_aggregate(o);
  check(r);
  const Fmt f = output_format(g);
  const Style style = output_style(g);
  json buckets = json::array();
  for (const auto& agg : r.resources()) {
    for (const auto& b : agg.value("buckets", json::array())) buckets.push_back(b);
  }
  if (f == Fmt::table || f == Fmt::csv) {
    if (f == Fmt::csv) std::cout << "label,count\n";
    for (const auto& b : buckets) {
      const auto label = b.value("label", json()).is_string() ? b["label"].get<std::string>()
                                                              : b.value("label", json()).dump();
      const auto count = b.value("count", json(0)).dump();
      std::cout << (f == Fmt::csv ? csv_cell(label, style.csv_raw) + "," + count
                                  : escape_controls(label) + "\t" + count)
                << "\n";
    }
  } else {
    write_values(f, buckets, style);
  }
  return kOk;
}

int cmd_devices(const Global& g, const std::string& type, const std::string& value) {
  falcon::IOC ioc(make_config(g));
  falcon::DevicesRanOnOptions o;
  if (type.empty()) {
    auto tv = inferred(value);
    o.type = tv.type;
    o.value = tv.value;
  } else {
    o.type = type;
    o.value = value;
  }
  o.limit = 100;
  json ids = json::array();
  auto r = falcon::devices_ran_on_all(ioc, o, [&](falcon::Response& page) {
    for (const auto& id : page.resources()) ids.push_back(id);
    return !g_interrupted.load();
  });
  check(r);
  write_values(output_format(g), ids, output_style(g));
  return kOk;
}

int cmd_processes(const Global& g, const std::string& type, const std::string& value,
                  const std::string& device) {
  falcon::IOC ioc(make_config(g));
  falcon::ProcessesRanOnOptions o;
  if (type.empty()) {
    auto tv = inferred(value);
    o.type = tv.type;
    o.value = tv.value;
  } else {
    o.type = type;
    o.value = value;
  }
  o.device_id = device;
  o.limit = 100;
  json ids = json::array();
  auto r = falcon::processes_ran_on_all(ioc, o, [&](falcon::Response& page) {
    for (const auto& id : page.resources()) ids.push_back(id);
    return !g_interrupted.load();
  });
  check(r);
  write_values(output_format(g), ids, output_style(g));
  return kOk;
}

int cmd_types(const Global& g, const std::string& which) {
  falcon::IOC ioc(make_config(g));
  falcon::ValueQueryOptions o;
  o.limit = 2000;
  falcon::Response r;
  if (which == "types") r = ioc.ioc_type_query(o);
  if (which == "platforms") r = ioc.platform_query(o);
  if (which == "severities") r = ioc.severity_query(o);
  if (which == "actions") r = ioc.action_query(o);
  check(r);
  write_values(output_format(g), r.resources(), output_style(g));
  return kOk;
}

}  // namespace falcon_cli
