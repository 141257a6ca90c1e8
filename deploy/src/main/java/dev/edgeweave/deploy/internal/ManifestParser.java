package dev.edgeweave.deploy.internal;

import dev.edgeweave.deploy.AppManifest;
import dev.edgeweave.deploy.BuildConfig;
import dev.edgeweave.deploy.ComponentManifest;
import dev.edgeweave.deploy.FileMount;
import dev.edgeweave.deploy.HttpTrigger;
import dev.edgeweave.deploy.ManifestException;
import dev.edgeweave.deploy.OutboundHosts;
import dev.edgeweave.deploy.RouteTable;
import dev.edgeweave.deploy.SpinManifest;
import dev.edgeweave.deploy.VariableDecl;
import dev.edgeweave.deploy.WagiExecutor;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseError;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlTable;

/**
 * One parse of one spin.toml. Collects every error instead of stopping at the first, so a user
 * fixes a manifest in one round trip. Not thread-safe: make one per parse.
 */
public final class ManifestParser {
  /** A key-value store label as Spin writes them ("default", "user-sessions"). */
  private static final Pattern STORE_LABEL = Pattern.compile("[a-z][a-z0-9_-]{0,63}");

  private static final String TOP = "spin.toml";

  private static final List<String> TOP_KEYS =
      List.of("spin_manifest_version", "application", "variables", "trigger", "component");
  private static final List<String> APPLICATION_KEYS =
      List.of("name", "version", "description", "authors", "trigger", "targets", "tool");
  private static final List<String> HTTP_SETTINGS_KEYS = List.of("base");
  private static final List<String> TRIGGER_KEYS =
      List.of("id", "route", "component", "executor", "components", "static_response");
  private static final List<String> EXECUTOR_KEYS = List.of("type", "argv", "entrypoint");
  private static final List<String> COMPONENT_KEYS =
      List.of(
          "source",
          "description",
          "variables",
          "environment",
          "files",
          "exclude_files",
          "allowed_outbound_hosts",
          "allowed_http_hosts",
          "key_value_stores",
          "sqlite_databases",
          "ai_models",
          "build",
          "tool",
          "dependencies_inherit_configuration",
          "dependencies",
          "profile");
  private static final List<String> EDGEWEAVE_TOOL_KEYS = List.of("allow_transient_write");
  private static final List<String> PLACEMENT_KEYS = List.of("source", "destination");
  private static final List<String> BUILD_KEYS = List.of("command", "workdir", "watch");
  private static final List<String> VARIABLE_KEYS =
      List.of("default", "required", "secret", "description");

  /**
   * Deepest nesting of arrays and inline tables read: the parser recurses per level, and a deploy
   * runs on a thread with the JVM's default stack. Real manifests nest a handful deep.
   */
  static final int MAX_NESTING = 32;

  /**
   * One DNS label (RFC 1123): an app answers at {@code <name>.<domain>}, so a dot would make one
   * app a subdomain of another.
   */
  private static final Pattern APP_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?");

  private static final String USE_WAGI = "use executor = { type = \"wagi\" }";

  private final List<String> errors = new ArrayList<>();
  // Inline components get generated ids; errors also say where the user wrote them.
  private final Map<String, String> inlineLabels = new LinkedHashMap<>();

  /** Parses {@code toml}; see {@link SpinManifest#parse(String)}. */
  public AppManifest parse(String toml) throws ManifestException {
    OptionalInt tooDeep = TomlNesting.lineDeeperThan(toml, MAX_NESTING);
    if (tooDeep.isPresent()) {
      error(
          TOP,
          "line "
              + tooDeep.getAsInt()
              + ": arrays and inline tables nest more than "
              + MAX_NESTING
              + " deep");
      throw new ManifestException(errors);
    }
    TomlParseResult doc;
    try {
      doc = Toml.parse(toml);
    } catch (StackOverflowError e) {
      // Only if the nesting scan and the parser disagree; the thread recovers once unwound.
      error(TOP, "nests too deeply to be read");
      throw new ManifestException(errors);
    }
    if (doc.hasErrors()) {
      for (TomlParseError e : doc.errors()) {
        errors.add(
            "TOML syntax error at line "
                + e.position().line()
                + ", column "
                + e.position().column()
                + ": "
                + e.getMessage());
      }
      throw new ManifestException(errors);
    }
    if (!checkVersion(doc)) {
      throw new ManifestException(errors);
    }
    checkKeys(doc, TOP, TOP_KEYS);

    String name = "";
    String version = "";
    String description = "";
    List<String> authors = List.of();
    String base = RouteTable.DEFAULT_BASE;
    Object application = doc.get(List.of("application"));
    if (application == null) {
      error("application", "missing (every spin.toml needs [application] with a name)");
    } else if (application instanceof TomlTable app) {
      checkKeys(app, "application", APPLICATION_KEYS);
      name = string(app, "application", "name").orElse("");
      if (!app.contains(List.of("name"))) {
        error("application.name", "missing (every app needs a name)");
      } else if (name.isEmpty() && app.get(List.of("name")) instanceof String) {
        error("application.name", "must not be empty");
      } else if (!name.isEmpty()
          && (name.length() > SpinManifest.MAX_APP_NAME_LENGTH
              || !APP_NAME.matcher(name).matches())) {
        error(
            "application.name",
            "'"
                + name
                + "' must be a single DNS label: 1 to "
                + SpinManifest.MAX_APP_NAME_LENGTH
                + " letters, digits and '-', not starting or ending with '-'"
                + " (it names the app in host names, URLs and on disk)");
      }
      version = string(app, "application", "version").orElse("");
      description = string(app, "application", "description").orElse("");
      authors = strings(app, "application", "authors");
      array(app, "application", "targets"); // Spin's deployment targets: nothing to check here
      table(app, "application", "tool"); // settings for other tools; Spin ignores them too
      base = appTriggerSettings(app);
    } else {
      error("application", "must be a table ([application]), found " + describe(application));
    }

    Map<String, VariableDecl> variables = variables(doc);

    Map<String, ComponentManifest> components = new LinkedHashMap<>();
    Object componentsValue = doc.get(List.of("component"));
    if (componentsValue instanceof TomlTable table) {
      for (Map.Entry<String, Object> e : table.entrySet()) {
        String where = component(e.getKey());
        Optional<String> idProblem = Ids.kebab(e.getKey());
        if (idProblem.isPresent()) {
          error(where, "id " + idProblem.get());
        }
        if (e.getValue() instanceof TomlTable c) {
          component(e.getKey(), c, variables).ifPresent(m -> components.put(e.getKey(), m));
        } else {
          error(where, "must be a table ([component." + e.getKey() + "])");
        }
      }
    } else if (componentsValue != null) {
      error("component", "must be a table of components ([component.<id>])");
    }

    List<HttpTrigger> triggers = triggers(doc, components, variables, base);

    if (!errors.isEmpty()) {
      throw new ManifestException(errors);
    }
    return new AppManifest(
        name, version, description, triggers, components, variables, authors, base);
  }

  private boolean checkVersion(TomlTable doc) {
    if (doc.contains(List.of("spin_version"))) {
      error(
          "spin_version",
          "manifest version 1 is not supported; write a version 2 manifest"
              + " (spin_manifest_version = 2)");
      return false;
    }
    Object v = doc.get(List.of("spin_manifest_version"));
    if (v == null) {
      error("spin_manifest_version", "missing; set spin_manifest_version = 2");
      return false;
    }
    if (!(v instanceof Long l) || l != SpinManifest.SUPPORTED_VERSION) {
      error(
          "spin_manifest_version",
          "found "
              + literal(v)
              + "; only spin_manifest_version = "
              + SpinManifest.SUPPORTED_VERSION
              + " is supported");
      return false;
    }
    return true;
  }

  private String appTriggerSettings(TomlTable app) {
    String base = RouteTable.DEFAULT_BASE;
    Optional<TomlTable> settings = table(app, "application", "trigger");
    if (settings.isEmpty()) {
      return base;
    }
    for (Map.Entry<String, Object> e : settings.get().entrySet()) {
      String where = "application.trigger." + e.getKey();
      if (!e.getKey().equals("http")) {
        error(where, unsupportedTrigger(e.getKey()));
        continue;
      }
      if (!(e.getValue() instanceof TomlTable http)) {
        error(where, "must be a table, found " + describe(e.getValue()));
        continue;
      }
      checkKeys(http, where, HTTP_SETTINGS_KEYS);
      Optional<String> b = string(http, where, "base");
      if (b.isPresent()) {
        try {
          RoutePattern p = RoutePattern.parse(b.get());
          if (!p.isLiteral()) {
            error(
                where + ".base",
                "'" + b.get() + "' must be a plain path, without ':name' or '...'");
          } else {
            base = p.text();
          }
        } catch (IllegalArgumentException ex) {
          error(where + ".base", "'" + b.get() + "' " + ex.getMessage());
        }
      }
    }
    return base;
  }

  private Map<String, VariableDecl> variables(TomlTable doc) {
    Map<String, VariableDecl> result = new LinkedHashMap<>();
    Optional<TomlTable> table = table(doc, TOP, "variables");
    if (table.isEmpty()) {
      return result;
    }
    for (Map.Entry<String, Object> e : table.get().entrySet()) {
      String where = "variables." + e.getKey();
      Optional<String> nameProblem = Ids.snake(e.getKey());
      nameProblem.ifPresent(p -> error(where, "name " + p));
      if (!(e.getValue() instanceof TomlTable v)) {
        error(
            where,
            "must be a table like { default = \"...\" } or { required = true }, found "
                + describe(e.getValue()));
        continue;
      }
      checkKeys(v, where, VARIABLE_KEYS);
      Optional<String> dflt = string(v, where, "default");
      boolean required = bool(v, where, "required");
      boolean secret = bool(v, where, "secret");
      Optional<String> description = string(v, where, "description");
      if (dflt.isPresent() && required) {
        error(where, "set either default or required = true, not both");
      } else if (dflt.isEmpty() && !required) {
        if (!v.contains(List.of("default")) && !v.contains(List.of("required"))) {
          error(where, "needs a default or required = true");
        }
      } else if (nameProblem.isEmpty()) {
        result.put(e.getKey(), new VariableDecl(dflt, required, secret, description));
      }
    }
    return result;
  }

  private Optional<ComponentManifest> component(
      String id, TomlTable c, Map<String, VariableDecl> appVariables) {
    String where = component(id);
    int errorsBefore = errors.size();
    checkKeys(c, where, COMPONENT_KEYS);

    String source = "";
    Object src = c.get(List.of("source"));
    if (src == null) {
      error(where, "source: missing (the path of the .wasm file, relative to spin.toml)");
    } else if (src instanceof String s) {
      if (s.isEmpty()) {
        error(where, "source: must not be empty");
      } else if (s.startsWith("/") || s.matches("^[A-Za-z]:[\\\\/].*")) {
        error(where, "source: '" + s + "' must be a path relative to spin.toml");
      }
      source = s;
    } else if (src instanceof TomlTable t && t.contains(List.of("url"))) {
      error(
          where,
          "source: a { url, digest } source is not supported (the platform never downloads"
              + " modules); put the .wasm file in the app and set source = \"<file>.wasm\"");
    } else if (src instanceof TomlTable t && t.contains(List.of("package"))) {
      error(
          where,
          "source: a registry package source is not supported (the platform never downloads"
              + " modules); put the .wasm file in the app and set source = \"<file>.wasm\"");
    } else {
      error(where, "source: must be a file path string, found " + describe(src));
    }

    String description = string(c, where, "description").orElse("");
    List<FileMount> files = files(c, where);
    List<String> excludeFiles = strings(c, where, "exclude_files");
    Map<String, String> environment = stringTable(c, where, "environment", false);
    environment.keySet().forEach(name -> checkEnvironmentName(where, name));
    Map<String, String> variables = stringTable(c, where, "variables", true);
    variables.forEach((k, v) -> checkTemplate(where, "variables." + k, v, appVariables));

    List<String> outbound = strings(c, where, "allowed_outbound_hosts");
    for (String entry : outbound) {
      OutboundHosts.problem(entry)
          .ifPresent(p -> error(where, "allowed_outbound_hosts: \"" + entry + "\" " + p));
    }
    List<String> httpHosts = strings(c, where, "allowed_http_hosts");
    if (!httpHosts.isEmpty()) {
      error(
          where,
          "allowed_http_hosts is Spin's old form, not read here; list the hosts with their"
              + " scheme in allowed_outbound_hosts instead (e.g. \"https://example.com\") and"
              + " remove "
              + listLiteral(httpHosts));
    }
    List<String> kv = strings(c, where, "key_value_stores");
    Set<String> storeLabels = new HashSet<>();
    for (String label : kv) {
      if (!STORE_LABEL.matcher(label).matches()) {
        error(
            where,
            "key_value_stores: label '"
                + label
                + "' must be 1 to 64 characters of a-z, 0-9, '_' and '-', starting with a letter");
      } else if (!storeLabels.add(label)) {
        error(where, "key_value_stores: label '" + label + "' is declared twice");
      }
    }
    for (String field : List.of("sqlite_databases", "ai_models")) {
      List<String> labels = strings(c, where, field);
      if (!labels.isEmpty()) {
        error(where, field + ": not supported; remove " + listLiteral(labels));
      }
    }
    Optional<TomlTable> deps = table(c, where, "dependencies");
    if (deps.isPresent() && !deps.get().isEmpty()) {
      error(
          where,
          "dependencies: component-model dependencies are not supported (WAGI modules are"
              + " plain wasm32-wasi programs)");
    }
    bool(c, where, "dependencies_inherit_configuration");
    if (c.contains(List.of("profile"))) {
      error(where, "profile: build profiles are not supported; set source to the module to run");
    }
    // Settings for other tools, which Spin ignores; [...tool.edgeweave] holds this platform's.
    boolean allowTransientWrite = allowTransientWrite(table(c, where, "tool"), where);
    Optional<BuildConfig> build = build(c, where);

    if (errors.size() > errorsBefore) {
      return Optional.empty();
    }
    return Optional.of(
        new ComponentManifest(
            id,
            source,
            files,
            excludeFiles,
            environment,
            variables,
            outbound,
            kv,
            build,
            description,
            allowTransientWrite));
  }

  /**
   * {@code [component.<id>.tool.edgeweave] allow_transient_write = true}: the component may write
   * its files, per request (Spin's {@code --allow-transient-write}). A tool table, so the same
   * spin.toml still runs under Spin.
   */
  private boolean allowTransientWrite(Optional<TomlTable> tool, String where) {
    if (tool.isEmpty()) {
      return false;
    }
    String w = at(where, "tool");
    Optional<TomlTable> own = table(tool.get(), w, "edgeweave");
    if (own.isEmpty()) {
      return false;
    }
    checkKeys(own.get(), w + ".edgeweave", EDGEWEAVE_TOOL_KEYS);
    return bool(own.get(), w + ".edgeweave", "allow_transient_write");
  }

  private List<FileMount> files(TomlTable c, String where) {
    List<FileMount> result = new ArrayList<>();
    Optional<TomlArray> array = array(c, where, "files");
    if (array.isEmpty()) {
      return result;
    }
    for (int i = 0; i < array.get().size(); i++) {
      Object entry = array.get().get(i);
      String field = "files[" + i + "]";
      if (entry instanceof String glob) {
        if (glob.isEmpty()) {
          error(where, field + ": must not be empty");
        } else {
          result.add(new FileMount.Pattern(glob));
        }
      } else if (entry instanceof TomlTable t) {
        String w = at(where, field);
        checkKeys(t, w, PLACEMENT_KEYS);
        Optional<String> source = string(t, w, "source");
        Optional<String> destination = string(t, w, "destination");
        if (!t.contains(List.of("source"))) {
          error(where, field + ": missing source (the directory to mount)");
        }
        if (!t.contains(List.of("destination"))) {
          error(where, field + ": missing destination (the absolute path in the guest)");
        } else if (destination.isPresent() && !destination.get().startsWith("/")) {
          error(
              where,
              field
                  + ": destination '"
                  + destination.get()
                  + "' must be an absolute guest path (starting with '/')");
        }
        if (source.isPresent() && destination.isPresent()) {
          result.add(new FileMount.Placement(source.get(), destination.get()));
        }
      } else {
        error(
            where,
            field
                + ": must be a glob string or { source = \"<dir>\", destination = \"/<path>\" },"
                + " found "
                + describe(entry));
      }
    }
    return result;
  }

  private Optional<BuildConfig> build(TomlTable c, String where) {
    Optional<TomlTable> table = table(c, where, "build");
    if (table.isEmpty()) {
      return Optional.empty();
    }
    String w = at(where, "build");
    TomlTable b = table.get();
    checkKeys(b, w, BUILD_KEYS);
    List<String> commands = List.of();
    Object command = b.get(List.of("command"));
    if (command == null) {
      error(w, "missing command");
    } else if (command instanceof String s) {
      commands = List.of(s);
    } else if (command instanceof TomlArray) {
      commands = strings(b, w, "command");
    } else {
      error(
          at(w, "command"), "must be a string or an array of strings, found " + describe(command));
    }
    return Optional.of(new BuildConfig(commands, string(b, w, "workdir"), strings(b, w, "watch")));
  }

  private List<HttpTrigger> triggers(
      TomlTable doc,
      Map<String, ComponentManifest> components,
      Map<String, VariableDecl> vars,
      String base) {
    List<HttpTrigger> result = new ArrayList<>();
    Object value = doc.get(List.of("trigger"));
    if (value == null) {
      error("trigger", "missing; declare at least one [[trigger.http]] with a route and component");
      return result;
    }
    if (!(value instanceof TomlTable triggerTypes)) {
      error(
          "trigger",
          "must be a table of trigger types ([[trigger.http]]), found " + describe(value));
      return result;
    }
    for (Map.Entry<String, Object> type : triggerTypes.entrySet()) {
      if (!type.getKey().equals("http")) {
        error("trigger." + type.getKey(), unsupportedTrigger(type.getKey()));
      }
    }
    Object http = triggerTypes.get(List.of("http"));
    if (http == null) {
      if (triggerTypes.isEmpty()) {
        error("trigger", "declares no trigger; add a [[trigger.http]] with a route and component");
      }
      return result;
    }
    if (!(http instanceof TomlArray array) || !allTables(array)) {
      error(
          "trigger.http", "must be an array of tables ([[trigger.http]]), found " + describe(http));
      return result;
    }
    if (array.isEmpty()) {
      error(
          "trigger.http", "declares no trigger; add a [[trigger.http]] with a route and component");
      return result;
    }
    Set<String> triggerIds = new LinkedHashSet<>();
    for (int i = 0; i < array.size(); i++) {
      TomlTable t = array.getTable(i);
      String explicit = t.get(List.of("id")) instanceof String s ? s : "";
      triggerIds.add(explicit);
    }
    int triggerCounter = 1;
    int inlineCounter = 1;
    for (int i = 0; i < array.size(); i++) {
      TomlTable t = array.getTable(i);
      String where = "trigger.http[" + i + "]";
      checkKeys(t, where, TRIGGER_KEYS);
      if (t.contains(List.of("static_response"))) {
        error(where, "static_response is not supported; serve the response from a component");
        continue;
      }
      if (t.contains(List.of("components"))) {
        error(where, "components is reserved by Spin and not supported; use component");
      }
      String triggerId = string(t, where, "id").orElse("");

      String route = route(t, where, base);

      String componentId = null;
      Object comp = t.get(List.of("component"));
      if (comp == null) {
        error(where, "missing component (a component id, or an inline { source = ... })");
      } else if (comp instanceof String ref) {
        if (Ids.kebab(ref).isPresent() || !components.containsKey(ref) && !hasTable(doc, ref)) {
          error(where, "component '" + ref + "' is not defined (no [component." + ref + "])");
        } else {
          componentId = ref;
        }
        if (triggerId.isEmpty()) {
          String natural = ref + "-http-trigger";
          if (triggerIds.add(natural)) {
            triggerId = natural;
          }
        }
      } else if (comp instanceof TomlTable inline) {
        if (triggerId.isEmpty()) {
          while (!triggerIds.add("http-trigger" + triggerCounter)) {
            triggerCounter++;
          }
          triggerId = "http-trigger" + triggerCounter;
        }
        String id = triggerId + "-component";
        if (Ids.kebab(id).isPresent() || components.containsKey(id) || hasTable(doc, id)) {
          while (components.containsKey("inline-component" + inlineCounter)
              || hasTable(doc, "inline-component" + inlineCounter)) {
            inlineCounter++;
          }
          id = "inline-component" + inlineCounter;
        }
        inlineLabels.put(id, "component '" + id + "' (inline in " + where + ")");
        Optional<ComponentManifest> m = component(id, inline, vars);
        if (m.isPresent()) {
          components.put(id, m.get());
          componentId = id;
        }
      } else {
        error(
            where, "component must be a component id or an inline table, found " + describe(comp));
      }

      String label =
          componentId != null
              ? component(componentId)
              : comp instanceof String ref ? component(ref) : where;
      Optional<WagiExecutor> executor = executor(t, where, label);
      if (route != null && componentId != null && executor.isPresent()) {
        result.add(new HttpTrigger(route, componentId, executor.get()));
      }
    }
    return result;
  }

  private static boolean allTables(TomlArray array) {
    for (int i = 0; i < array.size(); i++) {
      if (!(array.get(i) instanceof TomlTable)) {
        return false;
      }
    }
    return true;
  }

  private static boolean hasTable(TomlTable doc, String componentId) {
    return doc.get(List.of("component", componentId)) != null;
  }

  private String route(TomlTable t, String where, String base) {
    Object value = t.get(List.of("route"));
    if (value == null) {
      error(where, "missing route (e.g. route = \"/hello\" or \"/hello/...\")");
      return null;
    }
    if (value instanceof TomlTable) {
      error(
          where,
          "route { private = true } (a component reachable only through service chaining) is"
              + " not supported; give it a route");
      return null;
    }
    if (!(value instanceof String route)) {
      error(where, "route must be a string, found " + describe(value));
      return null;
    }
    try {
      // Like Spin, the reserved prefix is checked on the route with the base in front.
      String based = RoutePattern.parse(route).under(RoutePattern.parse(base)).text();
      if (based.startsWith(RouteTable.RESERVED_PREFIX)) {
        error(
            where,
            "route '"
                + route
                + "' is under "
                + RouteTable.RESERVED_PREFIX
                + ", which is reserved for the platform");
        return null;
      }
    } catch (IllegalArgumentException e) {
      error(where, "route '" + route + "' " + e.getMessage());
      return null;
    }
    return route;
  }

  private Optional<WagiExecutor> executor(TomlTable t, String where, String comp) {
    Object value = t.get(List.of("executor"));
    if (value == null) {
      error(
          comp,
          "executor is not set, so Spin would run the component-model HTTP executor, which is"
              + " not supported; "
              + USE_WAGI);
      return Optional.empty();
    }
    if (!(value instanceof TomlTable e)) {
      error(comp, "executor must be a table like { type = \"wagi\" }, found " + describe(value));
      return Optional.empty();
    }
    Object type = e.get(List.of("type"));
    if (type == null) {
      error(comp, "executor has no type; " + USE_WAGI);
      return Optional.empty();
    }
    if (type.equals("spin") || type.equals("http")) {
      error(
          comp,
          "executor type '" + type + "' (component model HTTP) is not supported; " + USE_WAGI);
      return Optional.empty();
    }
    if (!type.equals("wagi")) {
      error(comp, "executor type " + literal(type) + " is unknown; " + USE_WAGI);
      return Optional.empty();
    }
    String w = at(where, "executor");
    checkKeys(e, w, EXECUTOR_KEYS);
    String argv = string(e, w, "argv").orElse(WagiExecutor.DEFAULT_ARGV);
    String entrypoint = string(e, w, "entrypoint").orElse(WagiExecutor.DEFAULT_ENTRYPOINT);
    if (entrypoint.isEmpty()) {
      error(w + ".entrypoint", "must not be empty");
    }
    return Optional.of(new WagiExecutor(argv, entrypoint));
  }

  /** The guest's environment is a list of NAME=value strings: a name cannot hold '=' or NUL. */
  private void checkEnvironmentName(String where, String name) {
    String field = at(where, "environment." + printable(name));
    if (name.isEmpty()) {
      error(field, "name must not be empty");
    } else if (name.indexOf('=') >= 0) {
      error(field, "name must not contain '=' (the guest sees NAME=value)");
    } else if (name.indexOf('\0') >= 0) {
      error(field, "name must not contain a NUL character");
    }
  }

  /** Control characters shown as escapes, so an error message stays one readable line. */
  private static String printable(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0) {
        out.append("\\0");
      } else if (c < 0x20 || c == 0x7f) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private void checkTemplate(
      String where, String field, String template, Map<String, VariableDecl> appVariables) {
    int from = 0;
    while (true) {
      int open = template.indexOf("{{", from);
      if (open < 0) {
        return;
      }
      int close = template.indexOf("}}", open + 2);
      if (close < 0) {
        error(where, field + ": unclosed '{{' in " + literal(template));
        return;
      }
      String name = template.substring(open + 2, close).trim();
      if (Ids.snake(name).isPresent()) {
        error(
            where,
            field + ": '{{ " + name + " }}' is not a variable name (lower_snake_case expected)");
      } else if (!appVariables.containsKey(name)) {
        error(
            where,
            field + ": refers to '{{ " + name + " }}' but [variables] declares no '" + name + "'");
      }
      from = close + 2;
    }
  }

  // --- typed access that records an error instead of throwing ---

  private Optional<String> string(TomlTable t, String where, String key) {
    Object v = t.get(List.of(key));
    if (v == null) {
      return Optional.empty();
    }
    if (v instanceof String s) {
      return Optional.of(s);
    }
    error(at(where, key), "must be a string, found " + describe(v));
    return Optional.empty();
  }

  private boolean bool(TomlTable t, String where, String key) {
    Object v = t.get(List.of(key));
    if (v == null) {
      return false;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    error(at(where, key), "must be true or false, found " + describe(v));
    return false;
  }

  private Optional<TomlTable> table(TomlTable t, String where, String key) {
    Object v = t.get(List.of(key));
    if (v == null) {
      return Optional.empty();
    }
    if (v instanceof TomlTable table) {
      return Optional.of(table);
    }
    error(at(where, key), "must be a table, found " + describe(v));
    return Optional.empty();
  }

  private Optional<TomlArray> array(TomlTable t, String where, String key) {
    Object v = t.get(List.of(key));
    if (v == null) {
      return Optional.empty();
    }
    if (v instanceof TomlArray a) {
      return Optional.of(a);
    }
    error(at(where, key), "must be an array, found " + describe(v));
    return Optional.empty();
  }

  private List<String> strings(TomlTable t, String where, String key) {
    Optional<TomlArray> a = array(t, where, key);
    if (a.isEmpty()) {
      return List.of();
    }
    List<String> result = new ArrayList<>();
    for (int i = 0; i < a.get().size(); i++) {
      Object v = a.get().get(i);
      if (v instanceof String s) {
        result.add(s);
      } else {
        error(at(where, key + "[" + i + "]"), "must be a string, found " + describe(v));
      }
    }
    return result;
  }

  private Map<String, String> stringTable(
      TomlTable t, String where, String key, boolean snakeKeys) {
    Map<String, String> result = new LinkedHashMap<>();
    Optional<TomlTable> table = table(t, where, key);
    if (table.isEmpty()) {
      return result;
    }
    for (Map.Entry<String, Object> e : table.get().entrySet()) {
      String field = key + "." + e.getKey();
      if (snakeKeys) {
        Ids.snake(e.getKey()).ifPresent(p -> error(at(where, field), "name " + p));
      }
      if (e.getValue() instanceof String s) {
        result.put(e.getKey(), s);
      } else {
        error(at(where, field), "must be a string, found " + describe(e.getValue()));
      }
    }
    return result;
  }

  private void checkKeys(TomlTable t, String where, List<String> allowed) {
    for (String key : t.keySet()) {
      if (!allowed.contains(key)) {
        error(
            where,
            "unknown key '" + key + "' (expected one of: " + String.join(", ", allowed) + ")");
      }
    }
  }

  private void error(String where, String problem) {
    errors.add(where + ": " + problem);
  }

  private String component(String id) {
    return inlineLabels.getOrDefault(id, "component '" + id + "'");
  }

  // Component errors read "component 'x': field: problem"; others "a.b.field: problem".
  private static String at(String where, String field) {
    return where.startsWith("component '") ? where + ": " + field : where + "." + field;
  }

  private static String unsupportedTrigger(String type) {
    return "trigger type '" + type + "' is not supported; only [[trigger.http]] is served";
  }

  private static String describe(Object v) {
    if (v instanceof String) {
      return "a string";
    } else if (v instanceof Long) {
      return "an integer";
    } else if (v instanceof Double) {
      return "a float";
    } else if (v instanceof Boolean) {
      return "a boolean";
    } else if (v instanceof TemporalAccessor) {
      return "a date/time";
    } else if (v instanceof TomlArray) {
      return "an array";
    } else {
      return "a table";
    }
  }

  private static String literal(Object v) {
    return v instanceof String s ? "\"" + s + "\"" : String.valueOf(v);
  }

  private static String listLiteral(List<String> values) {
    return values.stream().map(ManifestParser::literal).toList().toString();
  }
}
