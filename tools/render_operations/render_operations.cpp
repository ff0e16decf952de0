// render_operations: renders docs/operations.md from the endpoint table (falcon::endpoints(),
// itself checked against spec/ioc-operations.json by tests/unit/endpoints_test.cpp).
//   render_operations                  print the page
//   render_operations --write FILE     write it to FILE
//   render_operations --check FILE     exit 1, naming the first differing line, when FILE differs
// ctest runs --check on the committed docs/operations.md, so the page cannot go stale.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

#include <falcon/endpoints.hpp>

namespace {

using falcon::Endpoint;
using falcon::ParamType;

std::string param_type_name(ParamType t) {
  switch (t) {
    case ParamType::string:
      return "string";
    case ParamType::integer:
      return "integer";
    case ParamType::boolean:
      return "boolean";
    case ParamType::string_array:
      return "string[]";
  }
  return "?";
}

std::string code(std::string_view s) {
  return "`" + std::string(s) + "`";
}

std::string params_cell(const Endpoint& ep) {
  if (ep.query.empty()) return "—";
  std::string out;
  for (const auto& p : ep.query) {
    if (!out.empty()) out += ", ";
    out += code(p.name);
    if (p.required) out += "\\*";
  }
  return out;
}

std::string retry_text(const Endpoint& ep) {
  return ep.idempotent ? "retried after a 5xx or a connection error (idempotent)"
                       : "not resent once it may have reached the server, except on 429";
}

std::string render_operations_md() {
  const auto& table = falcon::endpoints();
  std::ostringstream md;
  md << "# IOC operations\n\n"
     << "<!-- Generated from the endpoint table (src/endpoints.cpp) by "
        "tools/render_operations.\n"
     << "     Do not edit by hand. To regenerate:\n"
     << "     cmake --build build --target render_operations && "
        "build/tools/render_operations/render_operations --write docs/operations.md -->\n\n"
     << "falcon-cpp implements the " << table.size()
     << " operations of the Falcon IOC API that FalconPy's `IOC` service class has. Each one is "
        "a method of `falcon::IOC` with FalconPy's PEP 8 name and an alias spelled like the "
        "operation id (the same function), and each can be called through "
        "`falcon::APIHarness::command()` by its operation id, its spec id or its PEP 8 name.\n\n"
     << "- **Options**: the option struct the method takes (`falcon::` namespace). A set field is "
        "sent, even `\"\"`, `0`, `false` or an empty list; an unset field is never sent. Every "
        "struct has `parameters` (raw query parameters); those with a body also have `body`.\n"
     << "- **Query parameters**: `*` marks a required one. Arrays are sent as repeated keys "
        "(`ids=a&ids=b`), booleans as `true`/`false`; every key and value is percent-encoded.\n"
     << "- **Body**: GET and DELETE never send a body; POST and PATCH send a JSON object (`{}` "
        "when nothing is set).\n\n"
     << "## Summary\n\n"
     << "| # | Operation id | IOC method | Alias | HTTP | Route | Scope | Options | "
        "Query parameters | Body |\n"
     << "|---|---|---|---|---|---|---|---|---|---|\n";
  int n = 0;
  for (const auto& ep : table) {
    const bool alias = ep.operation_id != ep.method_name;
    md << "| " << ++n << " | " << code(ep.operation_id) << " | " << code(ep.method_name) << " | "
       << (alias ? code(ep.operation_id) : std::string("—")) << " | " << ep.http_method << " | "
       << code(ep.route) << " | " << code(ep.scope) << " | " << code(ep.option_struct) << " | "
       << params_cell(ep) << " | " << (ep.has_body ? "JSON" : "—") << " |\n";
  }
  md << "\n## Operations\n";
  for (const auto& ep : table) {
    const bool alias = ep.operation_id != ep.method_name;
    md << "\n### " << code(ep.operation_id) << "\n\n"
       << ep.summary << ".\n\n"
       << "- `" << ep.http_method << " " << ep.route << "`, scope " << code(ep.scope)
       << ", success status " << ep.success_status << "; " << retry_text(ep) << ".\n"
       << "- `falcon::IOC::" << ep.method_name << "(const falcon::" << ep.option_struct << "&)`";
    if (alias) md << ", alias " << code(ep.operation_id);
    md << ".\n"
       << "- `APIHarness::command()` names: " << code(ep.operation_id);
    if (ep.spec_operation_id != ep.operation_id) md << ", " << code(ep.spec_operation_id);
    if (ep.method_name != ep.operation_id) md << ", " << code(ep.method_name);
    md << ".\n";
    if (ep.has_body) md << "- JSON body built from the option struct, or `body` sent as given.\n";
    if (ep.deprecated) {
      md << "- Legacy `iocs` collection route, kept for compatibility.\n";
    }
    if (ep.query.empty()) {
      md << "\nNo query parameters.\n";
      continue;
    }
    md << "\n| Query parameter | Type | Required | Format |\n|---|---|---|---|\n";
    for (const auto& p : ep.query) {
      md << "| " << code(p.name) << " | " << param_type_name(p.type) << " | "
         << (p.required ? "yes" : "no") << " | "
         << (p.collection_format.empty() ? std::string("—")
                                         : code(p.collection_format) + " (repeated keys)")
         << " |\n";
    }
    if (!ep.sort_fields.empty()) {
      md << "\n`sort` takes one of ";
      for (std::size_t i = 0; i < ep.sort_fields.size(); ++i) {
        md << (i == 0 ? "" : ", ") << code(ep.sort_fields[i]);
      }
      md << ", each optionally followed by `.asc` or `.desc`.\n";
    }
  }
  return md.str();
}

int check(const std::string& path, const std::string& expected) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "render_operations: cannot read " << path << "\n";
    return 1;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string committed = ss.str();
  if (committed == expected) {
    std::cout << path << " is up to date (" << falcon::endpoints().size() << " operations)\n";
    return 0;
  }
  std::istringstream a(committed);
  std::istringstream b(expected);
  std::string la;
  std::string lb;
  for (int line = 1;; ++line) {
    const bool ga = static_cast<bool>(std::getline(a, la));
    const bool gb = static_cast<bool>(std::getline(b, lb));
    if (!ga && !gb) break;
    if (!ga || !gb || la != lb) {
      std::cerr << path << " differs from the endpoint table at line " << line
                << ":\n  committed: " << (ga ? la : std::string("<end of file>"))
                << "\n  expected:  " << (gb ? lb : std::string("<end of file>")) << "\n";
      break;
    }
  }
  std::cerr << "Regenerate it: render_operations --write " << path << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string page = render_operations_md();
  if (argc == 1) {
    std::cout << page;
    return 0;
  }
  const std::string mode = argv[1];
  if (argc == 3 && mode == "--check") return check(argv[2], page);
  if (argc == 3 && mode == "--write") {
    std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
    out << page;
    out.close();
    if (!out) {
      std::cerr << "render_operations: cannot write " << argv[2] << "\n";
      return 1;
    }
    return 0;
  }
  std::cerr << "usage: render_operations [--write FILE | --check FILE]\n";
  return 2;
}
