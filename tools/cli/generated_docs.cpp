// falcon-ioc's completion scripts and man page, from the CLI11 tree (generated_docs.hpp).
#include "generated_docs.hpp"

#include <cstdio>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli.hpp"
#include "falcon/indicators.hpp"
#include "falcon/version.hpp"

namespace falcon_cli {

namespace {

// One option or positional argument, as the generators need it.
struct Arg {
  std::vector<std::string> names;  // "-q", "--quiet"; a positional's name ("files")
  std::string help, metavar, env;
  bool positional = false;
  bool value = false;  // takes a value
  bool many = false;   // may be given more than once / takes several values
  bool file = false;   // the value is a path
  std::vector<std::string> choices;
};

struct Command {
  std::string name, help, footer;
  std::vector<Arg> options, positionals;
};

struct Tree {
  std::string description, footer;
  std::vector<Arg> global;
  std::vector<Command> commands;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : s) {
    if (ch == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(ch);
    }
  }
  out.push_back(cur);
  return out;
}

// The values an option accepts: an IsMember check's set ("TEXT:{a,b,c}"), or the value table
// of the indicator field the option sets (--action, --severity, --platforms, ...).
std::vector<std::string> choices_of(const CLI::Option& o) {
  const std::string type = o.get_type_name();
  const auto open = type.find('{');
  const auto close = type.find('}', open == std::string::npos ? 0 : open);
  if (open != std::string::npos && close != std::string::npos) {
    return split(type.substr(open + 1, close - open - 1), ',');
  }
  if (o.get_lnames().empty()) return {};
  const std::string name = "--" + o.get_lnames().front();
  for (const auto& f : falcon::rules::fields()) {
    if (f.option != name) continue;
    if (f.kind != falcon::rules::Kind::enumeration && f.kind != falcon::rules::Kind::enum_list) {
      break;
    }
    std::vector<std::string> out;
    for (auto v : falcon::rules::known_values(f.values)) out.emplace_back(v);
    return out;
  }
  return {};
}

Arg arg_of(const CLI::Option& o) {
  Arg a;
  a.positional = o.get_positional() && o.get_lnames().empty() && o.get_snames().empty();
  if (a.positional) {
    a.names.push_back(o.get_name(true));
  } else {
    for (const auto& s : o.get_snames()) a.names.push_back("-" + s);
    for (const auto& l : o.get_lnames()) a.names.push_back("--" + l);
  }
  a.help = o.get_description();
  a.env = o.get_envname();
  a.value = o.get_expected_max() > 0 && o.get_type_size_max() > 0;  // flags expect 0
  a.many = o.get_expected_max() > 1;
  const std::string type = o.get_type_name();
  a.metavar = type.substr(0, type.find(':'));
  // "FILE" is the type name the definitions give a path (or CLI::ExistingFile's check).
  a.file = a.value && (a.metavar == "FILE" || type.find(":FILE") != std::string::npos);
  if (a.file) a.metavar = "FILE";
  a.choices = choices_of(o);
  if (a.positional) {
    a.metavar = o.get_name(true);
    for (char& ch : a.metavar) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  return a;
}

// The visible options of `app` (hidden ones have an empty group), split into options and
// positionals.
void collect(const CLI::App& app, std::vector<Arg>& options, std::vector<Arg>* positionals) {
  for (const CLI::Option* o : app.get_options()) {
    if (o->get_group().empty()) continue;
    Arg a = arg_of(*o);
    if (a.positional) {
      if (positionals != nullptr) positionals->push_back(std::move(a));
    } else {
      options.push_back(std::move(a));
    }
  }
}

Tree tree_of(const CLI::App& app) {
  Tree t;
  t.description = app.get_description();
  t.footer = app.get_footer();
  collect(app, t.global, nullptr);
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_group().empty() || sub->get_name().empty()) continue;
    Command c;
    c.name = sub->get_name();
    c.help = sub->get_description();
    c.footer = sub->get_footer();
    collect(*sub, c.options, &c.positionals);
    t.commands.push_back(std::move(c));
  }
  return t;
}

// A command's options and the global ones (accepted after the subcommand too), each name once.
std::vector<Arg> with_globals(const Command& c, const Tree& t) {
  std::vector<Arg> out = c.options;
  std::set<std::string> seen;
  for (const auto& a : out) seen.insert(a.names.begin(), a.names.end());
  for (const auto& g : t.global) {
    if (seen.count(g.names.back()) == 0) out.push_back(g);
  }
  return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// ---- bash ----

// `case $prev in` arms: options whose value has choices or is a file, then the other
// value-taking options (no completion for their value).
void bash_value_cases(const std::vector<Arg>& opts, std::ostream& out, const std::string& ind) {
  std::vector<std::string> plain;
  for (const auto& a : opts) {
    if (!a.value) continue;
    const std::string pat = join(a.names, "|");
    if (!a.choices.empty()) {
      out << ind << pat << ") _falcon_ioc_words '" << join(a.choices, " ") << "'; return ;;\n";
    } else if (a.file) {
      out << ind << pat << ") _falcon_ioc_files; return ;;\n";
    } else {
      plain.push_back(pat);
    }
  }
  if (!plain.empty()) out << ind << join(plain, "|") << ") return ;;\n";
}

std::vector<std::string> all_names(const std::vector<Arg>& opts) {
  std::vector<std::string> out;
  for (const auto& a : opts) out.insert(out.end(), a.names.begin(), a.names.end());
  return out;
}

void write_bash(const Tree& t, std::ostream& out) {
  std::vector<std::string> commands, global_values;
  for (const auto& c : t.commands) commands.push_back(c.name);
  for (const auto& g : t.global) {
    if (g.value) global_values.insert(global_values.end(), g.names.begin(), g.names.end());
  }
  out << "# bash completion for falcon-ioc (generated by `falcon-ioc completion bash`)\n"
         "_falcon_ioc_words() { mapfile -t COMPREPLY < <(compgen -W \"$1\" -- \"$cur\"); }\n"
         "_falcon_ioc_files() {\n"
         "  compopt -o filenames 2>/dev/null\n"
         "  mapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
         "}\n"
         "_falcon_ioc() {\n"
         "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
         "  local cmd='' i\n"
         "  COMPREPLY=()\n"
         "  # The subcommand: the first word that is neither an option nor an option's value.\n"
         "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
         "    case ${COMP_WORDS[i]} in\n";
  if (!global_values.empty()) out << "      " << join(global_values, "|") << ") ((i++)) ;;\n";
  out << "      -*) ;;\n"
         "      *) cmd=${COMP_WORDS[i]}; break ;;\n"
         "    esac\n"
         "  done\n"
         "  case $cmd in\n"
         "    '')\n"
         "      case $prev in\n";
  bash_value_cases(t.global, out, "        ");
  out << "      esac\n"
         "      if [[ $cur == -* ]]; then _falcon_ioc_words '"
      << join(all_names(t.global), " ") << "'; else _falcon_ioc_words '" << join(commands, " ")
      << "'; fi\n"
      << "      ;;\n";
  for (const auto& c : t.commands) {
    const auto opts = with_globals(c, t);
    out << "    " << c.name << ")\n"
        << "      case $prev in\n";
    bash_value_cases(opts, out, "        ");
    out << "      esac\n"
        << "      if [[ $cur == -* ]]; then _falcon_ioc_words '" << join(all_names(opts), " ")
        << "'; return; fi\n";
    if (!c.positionals.empty()) {
      // The positionals of these commands are all of one kind: offer it for every word.
      const Arg& p = c.positionals.front();
      if (!p.choices.empty()) {
        out << "      _falcon_ioc_words '" << join(p.choices, " ") << "'\n";
      } else if (p.file) {
        out << "      _falcon_ioc_files\n";
      }
    }
    out << "      ;;\n";
  }
  out << "  esac\n"
         "}\n"
         "complete -F _falcon_ioc falcon-ioc\n";
}

// ---- zsh ----

// Inside '...': a quote closes the string, so it is written '\''.
std::string zsh_quoted(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '\'') {
      out += "'\\''";
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

// A description inside _arguments' [...] (and _describe's NAME:DESCRIPTION): one line, with
// the characters the spec syntax uses escaped.
std::string zsh_desc(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '\n') {
      out.push_back(' ');
      continue;
    }
    if (ch == '[' || ch == ']' || ch == ':' || ch == '\\') out.push_back('\\');
    out.push_back(ch);
  }
  return zsh_quoted(out);
}

std::string zsh_action(const Arg& a) {
  if (!a.choices.empty()) return "(" + join(a.choices, " ") + ")";
  if (a.file) return "_files";
  return " ";
}

void zsh_specs(const std::vector<Arg>& opts, const std::vector<Arg>& positionals, std::ostream& out,
               const std::string& ind) {
  for (const auto& a : opts) {
    out << ind;
    const std::string desc = "[" + zsh_desc(a.help) + "]";
    const std::string value = a.value ? ":" + a.metavar + ":" + zsh_action(a) : "";
    if (a.names.size() > 1) {
      out << "'(" << join(a.names, " ") << ")'{" << join(a.names, ",") << "}'" << desc
          << zsh_quoted(value) << "'";
    } else {
      out << "'" << (a.many ? "*" : "") << a.names[0] << desc << zsh_quoted(value) << "'";
    }
    out << "\n";
  }
  int n = 0;
  for (const auto& p : positionals) {
    ++n;
    out << ind << "'" << (p.many ? std::string("*") : std::to_string(n)) << ":" << zsh_desc(p.help)
        << ":" << zsh_quoted(zsh_action(p)) << "'\n";
  }
}

void write_zsh(const Tree& t, std::ostream& out) {
  out << "#compdef falcon-ioc\n"
         "# zsh completion for falcon-ioc (generated by `falcon-ioc completion zsh`)\n\n"
         "_falcon_ioc() {\n"
         "  local curcontext=$curcontext state state_descr line ret=1\n"
         "  typeset -A opt_args\n"
         "  _arguments -C -s\\\n";
  std::ostringstream global;
  zsh_specs(t.global, {}, global, "    ");
  std::string g = global.str();
  // One spec a line, each continued.
  std::string cont;
  for (const auto& line : split(g, '\n')) {
    if (!line.empty()) cont += line + " \\\n";
  }
  out << cont << "    '1:command:->command' '*::argument:->argument' && ret=0\n"
      << "  case $state in\n"
         "    command)\n"
         "      local -a commands=(\n";
  for (const auto& c : t.commands) out << "        '" << c.name << ":" << zsh_desc(c.help) << "'\n";
  out << "      )\n"
         "      _describe -t commands 'falcon-ioc command' commands && ret=0\n"
         "      ;;\n"
         "    argument)\n"
         "      curcontext=${curcontext%:*:*}:falcon-ioc-$line[1]:\n"
         "      case $line[1] in\n";
  for (const auto& c : t.commands) {
    std::ostringstream specs;
    zsh_specs(with_globals(c, t), c.positionals, specs, "            ");
    std::string body;
    for (const auto& line : split(specs.str(), '\n')) {
      if (!line.empty()) body += " \\\n" + line;
    }
    out << "        " << c.name << ")\n"
        << "          _arguments -s" << body << " && ret=0\n"
        << "          ;;\n";
  }
  out << "      esac\n"
         "      ;;\n"
         "  esac\n"
         "  return ret\n"
         "}\n\n"
         "_falcon_ioc \"$@\"\n";
}

// ---- fish ----

std::string fish_quoted(const std::string& s) {
  std::string out = "'";
  for (char ch : s) {
    if (ch == '\n') {
      out.push_back(' ');
      continue;
    }
    if (ch == '\'' || ch == '\\') out.push_back('\\');
    out.push_back(ch);
  }
  return out + "'";
}

void fish_option(const Arg& a, const std::string& condition, std::ostream& out) {
  out << "complete -c falcon-ioc";
  if (!condition.empty()) out << " -n " << fish_quoted(condition);
  for (const auto& n : a.names) {
    if (n.rfind("--", 0) == 0) {
      out << " -l " << n.substr(2);
    } else {
      out << " -s " << n.substr(1);
    }
  }
  if (a.value) {
    if (!a.choices.empty()) {
      out << " -x -a " << fish_quoted(join(a.choices, " "));
    } else if (a.file) {
      out << " -r -F";
    } else {
      out << " -x";
    }
  }
  out << " -d " << fish_quoted(a.help) << "\n";
}

void write_fish(const Tree& t, std::ostream& out) {
  std::vector<std::string> commands;
  for (const auto& c : t.commands) commands.push_back(c.name);
  const std::string none = "not __fish_seen_subcommand_from " + join(commands, " ");
  out << "# fish completion for falcon-ioc (generated by `falcon-ioc completion fish`)\n"
         "complete -c falcon-ioc -f\n";
  for (const auto& c : t.commands) {
    out << "complete -c falcon-ioc -n " << fish_quoted(none) << " -a " << c.name << " -d "
        << fish_quoted(c.help) << "\n";
  }
  // The global options, before or after the subcommand.
  for (const auto& g : t.global) fish_option(g, "", out);
  for (const auto& c : t.commands) {
    const std::string in = "__fish_seen_subcommand_from " + c.name;
    std::set<std::string> global;
    for (const auto& g : t.global) global.insert(g.names.back());
    for (const auto& a : c.options) {
      if (global.count(a.names.back()) == 0) fish_option(a, in, out);
    }
    if (!c.positionals.empty()) {
      const Arg& p = c.positionals.front();
      if (!p.choices.empty()) {
        out << "complete -c falcon-ioc -n " << fish_quoted(in) << " -x -a "
            << fish_quoted(join(p.choices, " ")) << "\n";
      } else if (p.file) {
        out << "complete -c falcon-ioc -n " << fish_quoted(in) << " -F\n";
      }
    }
  }
}

// ---- man ----

// Text for roff: backslashes and hyphens escaped (so options copy as ASCII '-'), a line never
// starts with a control character, and non-ASCII characters as \[uXXXX].
std::string roff(const std::string& s) {
  std::string out;
  bool line_start = true;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (line_start && (u == '.' || u == '\'')) out += "\\&";
    line_start = u == '\n';
    if (u == '\\') {
      out += "\\e";
    } else if (u == '-') {
      out += "\\-";
    } else if (u < 0x80) {
      out.push_back(s[i]);
    } else {
      // UTF-8 sequence: decode one code point (the help texts are ours, so well-formed).
      int len = u >= 0xF0 ? 4 : u >= 0xE0 ? 3 : 2;
      unsigned cp = u & (len == 4 ? 0x07 : len == 3 ? 0x0F : 0x1F);
      for (int k = 1; k < len && i + 1 < s.size(); ++k) {
        cp = (cp << 6) | (static_cast<unsigned char>(s[++i]) & 0x3F);
      }
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\[u%04X]", cp);
      out += buf;
    }
  }
  return out;
}

void man_args(const std::vector<Arg>& args, std::ostream& out) {
  for (const auto& a : args) {
    out << ".TP\n";
    if (a.positional) {
      out << "\\fI" << roff(a.metavar) << "\\fR" << (a.many ? "..." : "") << "\n";
    } else {
      std::vector<std::string> names;
      for (const auto& n : a.names) names.push_back("\\fB" + roff(n) + "\\fR");
      out << join(names, ", ");
      if (a.value) out << " \\fI" << roff(a.metavar) << "\\fR";
      out << "\n";
    }
    std::string help = a.help;
    // The choices, unless the help already names them all.
    bool named = true;
    for (const auto& c : a.choices) named = named && a.help.find(c) != std::string::npos;
    if (!named) help += " (one of: " + join(a.choices, ", ") + ")";
    if (!a.env.empty()) help += " [environment: " + a.env + "]";
    out << roff(help) << "\n";
  }
}

// Footer text: "Example:" lines as text, indented command lines as a no-fill block.
void man_footer(const std::string& footer, std::ostream& out) {
  if (footer.empty()) return;
  bool in_block = false;
  for (const auto& line : split(footer, '\n')) {
    const bool example = line.rfind("  ", 0) == 0;
    if (example && !in_block) {
      out << ".PP\n.RS 4\n.nf\n";
      in_block = true;
    } else if (!example && in_block) {
      out << ".fi\n.RE\n";
      in_block = false;
    }
    if (example) {
      out << roff(line.substr(2)) << "\n";
    } else if (!line.empty()) {
      out << ".PP\n" << roff(line) << "\n";
    }
  }
  if (in_block) out << ".fi\n.RE\n";
}

void write_man(const Tree& t, std::ostream& out) {
  // "falcon-ioc: manage ... sync.\n\n..." -> NAME's summary and the DESCRIPTION paragraphs.
  std::string desc = t.description;
  const std::string prefix = "falcon-ioc: ";
  if (desc.rfind(prefix, 0) == 0) desc.erase(0, prefix.size());
  std::string summary = desc.substr(0, desc.find('\n'));
  if (!summary.empty() && summary.back() == '.') summary.pop_back();

  out << ".\\\" falcon-ioc(1), generated by `falcon-ioc --man` from the parser's definitions.\n"
      << ".TH FALCON\\-IOC 1 \"\" \"falcon\\-cpp " << FALCON_CPP_VERSION_STRING
      << "\" \"User Commands\"\n"
      // No hyphenation, ragged right: option names and variables stay whole.
      << ".nh\n.ad l\n"
      << ".SH NAME\nfalcon\\-ioc \\- " << roff(summary) << "\n"
      << ".SH SYNOPSIS\n.B falcon\\-ioc\n.RI [ OPTIONS ] \" COMMAND \" [ ARGS ]\n"
      << ".SH DESCRIPTION\n";
  bool first = true;
  const auto paras = split(desc, '\n');
  for (std::size_t i = 1; i < paras.size(); ++i) {  // paras[0] is NAME's summary
    const std::string& para = paras[i];
    if (para.empty()) continue;
    if (!first) out << ".PP\n";
    out << roff(para) << "\n";
    first = false;
  }
  out << ".SH OPTIONS\nThe global options; they apply to every command.\n";
  man_args(t.global, out);
  out << ".SH COMMANDS\n";
  for (const auto& c : t.commands) {
    out << ".SS \"falcon\\-ioc " << roff(c.name);
    for (const auto& p : c.positionals) {
      out << " " << roff(p.metavar) << (p.many ? "..." : "");
    }
    out << "\"\n" << roff(c.help) << "\n";
    std::vector<Arg> args = c.positionals;
    for (const auto& o : c.options) {
      if (o.names.back() != "--help") args.push_back(o);
    }
    man_args(args, out);
    man_footer(c.footer, out);
  }
  out << ".SH EXIT STATUS\n"
      << ".TP\n.B " << kOk << "\nDone, or nothing to do.\n"
      << ".TP\n.B " << kError
      << "\nError: bad credentials, unreachable API, an API error, an unreadable file, Ctrl\\-C.\n"
      << ".TP\n.B " << kUsage << "\nUsage: unknown command or option, a bad option value.\n"
      << ".TP\n.B " << kPartial << "\nPartial: some rows failed and the rest was done.\n"
      << ".TP\n.B " << kRefused << "\nRefused by a safety guard: nothing was written.\n"
      << ".SH ENVIRONMENT\n"
      << ".TP\n.B FALCON_CLIENT_ID\nThe API client id.\n"
      << ".TP\n.B FALCON_CLIENT_SECRET\nIts secret (there is no flag for it).\n"
      << ".TP\n.B FALCON_BASE_URL\nA cloud name (us\\-1, us\\-2, eu\\-1, ...) or a URL.\n"
      << ".TP\n.B FALCON_MEMBER_CID\nThe MSSP child CID.\n"
      << ".TP\n.B FALCON_PROFILE\nThe credentials profile, as \\fB\\-\\-profile\\fR.\n"
      << ".TP\n.B XDG_CONFIG_HOME\nWhere the credentials file is looked for (default "
         "\\fI~/.config\\fR).\n"
      << ".SH FILES\n"
      << ".TP\n.I ~/.config/falcon\\-ioc/credentials\n"
         "KEY=VALUE lines (client_id, client_secret, base_url, member_cid) in [NAME] profile "
         "sections; the lines before the first section are the \\fBdefault\\fR profile. "
         "Refused unless only its owner can read it (chmod 600). An explicit "
         "\\fB\\-\\-credentials\\fR or \\fB\\-\\-profile\\fR overrides the environment; the "
         "default profile is read only when neither FALCON_CLIENT_ID nor "
         "FALCON_CLIENT_SECRET is set.\n";
  out << ".SH EXAMPLES\n";
  man_footer(t.footer.rfind("Examples:\n", 0) == 0 ? t.footer.substr(10) : t.footer, out);
  out << ".SH SECURITY\n"
         "The client secret is never taken from the command line and never printed. The "
         "process turns off its core dumps (RLIMIT_CORE 0, PR_SET_DUMPABLE 0) before it reads "
         "a secret.\n"
      << ".SH SEE ALSO\n"
         ".BR falcon\\-emulator (1);\n"
         "docs/cli.md in the falcon\\-cpp sources.\n";
}

}  // namespace

void write_completion(const CLI::App& app, const std::string& shell, std::ostream& out) {
  const Tree t = tree_of(app);
  if (shell == "bash") write_bash(t, out);
  if (shell == "zsh") write_zsh(t, out);
  if (shell == "fish") write_fish(t, out);
}

void write_man_page(const CLI::App& app, std::ostream& out) {
  write_man(tree_of(app), out);
}

void add_generated_docs(CLI::App& app) {
  auto shell = std::make_shared<std::string>();
  auto* c = app.add_subcommand("completion", "Print the shell completion script (bash, zsh, fish)");
  c->add_option("shell", *shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  c->footer(
      "Examples:\n"
      "  source <(falcon-ioc completion bash)\n"
      "  falcon-ioc completion zsh > \"${fpath[1]}/_falcon-ioc\"\n"
      "  falcon-ioc completion fish > ~/.config/fish/completions/falcon-ioc.fish");
  CLI::App* root = &app;
  c->callback([root, shell] {
    write_completion(*root, *shell, std::cout);
    std::cout.flush();
    throw CLI::Success();
  });
  app.add_flag_callback(
         "--man",
         [root] {
           write_man_page(*root, std::cout);
           std::cout.flush();
           throw CLI::Success();
         },
         "Print the man page (roff)")
      ->group("");
}

}  // namespace falcon_cli
