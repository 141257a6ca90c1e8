package dev.edgeweave.sharding;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.edgeweave.deploy.VariableDecl;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Values of apps' spin.toml {@code [variables]}, as the node provides them: {@code
 * edgeweave.variables."<app>".<name>} in the node's configuration, else the environment variable
 * {@code SPIN_VARIABLE_<NAME>} (Spin's environment provider), else the variable's default.
 */
public final class AppVariables {
  private static final Pattern REFERENCE = Pattern.compile("\\{\\{\\s*([a-z][a-z0-9_]*)\\s*\\}\\}");

  private final Config config;
  private final Map<String, String> environment;

  /**
   * @param config the node's {@code edgeweave.variables}
   * @param environment the process environment (or a test's)
   */
  public AppVariables(Config config, Map<String, String> environment) {
    this.config = Objects.requireNonNull(config, "config");
    this.environment = Map.copyOf(environment);
  }

  /** From {@code edgeweave.variables} and the process environment. */
  public static AppVariables fromConfig(Config root) {
    return new AppVariables(root.getConfig("edgeweave.variables"), System.getenv());
  }

  /** The environment variable Spin's provider reads for {@code name}. */
  static String environmentName(String name) {
    return "SPIN_VARIABLE_" + name.toUpperCase(Locale.ROOT);
  }

  /**
   * The value of every variable {@code app} declares.
   *
   * @throws IllegalArgumentException naming every required variable without a value, and where a
   *     value may come from
   */
  public Map<String, String> resolve(String app, Map<String, VariableDecl> declared) {
    Map<String, String> values = new LinkedHashMap<>();
    List<String> missing = new ArrayList<>();
    for (Map.Entry<String, VariableDecl> e : declared.entrySet()) {
      Optional<String> value =
          configured(app, e.getKey())
              .or(() -> Optional.ofNullable(environment.get(environmentName(e.getKey()))))
              .or(() -> e.getValue().defaultValue());
      if (value.isPresent()) {
        values.put(e.getKey(), value.get());
      } else {
        missing.add(e.getKey());
      }
    }
    if (!missing.isEmpty()) {
      StringBuilder message = new StringBuilder();
      for (String name : missing) {
        message
            .append(message.length() == 0 ? "" : "; ")
            .append("required variable '")
            .append(name)
            .append("' has no value: set edgeweave.variables.\"")
            .append(app)
            .append("\".")
            .append(name)
            .append(" or the environment variable ")
            .append(environmentName(name));
      }
      throw new IllegalArgumentException(message.toString());
    }
    return values;
  }

  private Optional<String> configured(String app, String name) {
    String path = "\"" + app + "\".\"" + name + "\"";
    try {
      return config.hasPath(path) ? Optional.of(config.getString(path)) : Optional.empty();
    } catch (ConfigException.WrongType e) {
      throw new IllegalArgumentException(
          "edgeweave.variables." + path + " must be a string: " + e.getMessage(), e);
    }
  }

  /** A component's variables: its templates with every {@code {{ name }}} replaced by its value. */
  public static Map<String, String> render(
      Map<String, String> templates, Map<String, String> values) {
    Map<String, String> rendered = new LinkedHashMap<>();
    templates.forEach(
        (name, template) -> {
          Matcher m = REFERENCE.matcher(template);
          StringBuilder out = new StringBuilder();
          while (m.find()) {
            String value = values.get(m.group(1));
            if (value == null) {
              // Deploy checks every reference against [variables]; this is a node bug if seen.
              throw new IllegalStateException("variable '" + m.group(1) + "' is not declared");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
          }
          m.appendTail(out);
          rendered.put(name, out.toString());
        });
    return rendered;
  }
}
