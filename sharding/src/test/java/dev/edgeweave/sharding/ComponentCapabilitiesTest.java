package dev.edgeweave.sharding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.edgeweave.deploy.AppBundle;
import dev.edgeweave.deploy.AppRepository;
import dev.edgeweave.deploy.DeployedApp;
import dev.edgeweave.deploy.VariableDecl;
import dev.edgeweave.wasmhost.EngineConfig;
import dev.edgeweave.wasmhost.GuestException;
import dev.edgeweave.wasmhost.GuestRequest;
import dev.edgeweave.wasmhost.TestGuests;
import dev.edgeweave.wasmhost.WasmEngine;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the catalog gives a component through the weave ABI: its variables, its stores only. */
class ComponentCapabilitiesTest {
  @TempDir Path dir;
  private final WasmEngine engine = WasmEngine.create(EngineConfig.defaults());
  private FunctionCatalog catalog;

  @AfterEach
  void stop() {
    if (catalog != null) {
      catalog.close();
    }
    engine.close();
  }

  private FunctionCatalog catalog(AppVariables variables) throws Exception {
    catalog =
        new FunctionCatalog(
            AppRepository.open(dir.resolve("store")),
            engine,
            FunctionSettings.fromConfig(ConfigFactory.load()),
            CatalogSettings.defaults(),
            null,
            null,
            variables);
    return catalog;
  }

  private AppBundle app(String name, String... componentLines) throws Exception {
    TestApps app =
        TestApps.app(name)
            .variables("who = { default = \"world\" }", "token = { required = true }")
            .wagi("/...", "web", TestGuests.c("weave-kv"), componentLines);
    return AppBundle.fromZip(AppBundle.zipDirectory(app.writeTo(dir.resolve("apps"))));
  }

  private static String call(FunctionCatalog catalog, DeployedApp app, String query)
      throws Exception {
    return new String(
        catalog
            .function(app.name(), app.digest(), 0)
            .invoke(GuestRequest.builder().query(query).build())
            .body(),
        StandardCharsets.UTF_8);
  }

  @Test
  void variablesComeFromTheNodesConfigThenTheEnvironmentThenTheirDefault() {
    Map<String, VariableDecl> declared = new LinkedHashMap<>();
    declared.put("a", VariableDecl.withDefault("default-a"));
    declared.put("b", VariableDecl.withDefault("default-b"));
    declared.put("c", VariableDecl.withDefault("default-c"));
    AppVariables variables =
        new AppVariables(
            ConfigFactory.parseString("\"shop\" { a = from-config }"),
            Map.of("SPIN_VARIABLE_A", "env-a", "SPIN_VARIABLE_B", "env-b"));

    assertEquals(
        Map.of("a", "from-config", "b", "env-b", "c", "default-c"),
        variables.resolve("shop", declared));
    assertEquals(
        Map.of("a", "env-a", "b", "env-b", "c", "default-c"), variables.resolve("other", declared));
    assertEquals(
        Map.of("url", "https://env-b/v1/default-c"),
        AppVariables.render(
            Map.of("url", "https://{{ b }}/v1/{{c}}"), variables.resolve("shop", declared)));
  }

  @Test
  void aRequiredVariableWithoutAValueRefusesTheDeployNamingWhereItMayComeFrom() throws Exception {
    FunctionCatalog catalog = catalog(new AppVariables(ConfigFactory.empty(), Map.of()));
    FunctionCatalog.DeployException e =
        assertThrows(FunctionCatalog.DeployException.class, () -> catalog.deploy(app("vars")));
    assertTrue(
        e.getMessage()
            .contains(
                "app 'vars': required variable 'token' has no value: set"
                    + " edgeweave.variables.\"vars\".token or the environment variable"
                    + " SPIN_VARIABLE_TOKEN"),
        e.getMessage());
    assertTrue(catalog.app("vars").isEmpty());
  }

  @Test
  void aGuestReadsTheVariablesItsComponentDeclaresAndNoOthers() throws Exception {
    FunctionCatalog catalog =
        catalog(
            new AppVariables(
                ConfigFactory.parseString("\"vars\" { token = s3cret }"),
                Map.of("SPIN_VARIABLE_WHO", "edge")));
    DeployedApp app =
        catalog.deploy(
            app("vars", "variables = { greeting = \"hello {{ who }}\", key = \"{{token}}\" }"));

    assertEquals("hello edge", call(catalog, app, "var::greeting:100"));
    assertEquals("s3cret", call(catalog, app, "var::key:100"));
    // App variables reach a guest only through its component's variables.
    assertEquals("status 2 len 0", call(catalog, app, "var::token:100"));
  }

  @Test
  void aComponentOpensOnlyTheStoresItDeclares() throws Exception {
    FunctionCatalog catalog =
        catalog(new AppVariables(ConfigFactory.parseString("\"kv\" { token = t }"), Map.of()));
    DeployedApp app = catalog.deploy(app("kv", "key_value_stores = [\"default\"]"));

    // Not declared: access-denied. Declared, on a node without stores: no-such-store.
    assertEquals("status 9", call(catalog, app, "open:sessions"));
    assertEquals("status 8", call(catalog, app, "open:default"));
    // The reason names the component and the store (in stderr, quoted when the request fails).
    GuestException e =
        assertThrows(GuestException.class, () -> call(catalog, app, "open:sessions::fail"));
    assertTrue(
        e.getMessage()
            .contains("weave.kv_open: component 'web' did not declare key-value store 'sessions'"),
        e.getMessage());
  }

  @Test
  void theVariablesExampleGreetsWithTheValuesTheNodeProvides() throws Exception {
    AppBundle example = AppBundle.fromDirectory(Path.of("..", "examples", "variables-c"));

    FunctionCatalog defaults = catalog(new AppVariables(ConfigFactory.empty(), Map.of()));
    assertEquals(
        "Hello, world!\n(the app's own variable 'who' is not visible to the guest)\n",
        call(defaults, defaults.deploy(example), ""));
    defaults.close();

    FunctionCatalog provided =
        catalog(
            new AppVariables(
                ConfigFactory.parseString("\"variables-c\" { greeting = Bonjour }"),
                Map.of("SPIN_VARIABLE_WHO", "edge")));
    assertEquals(
        "Bonjour, edge!\n(the app's own variable 'who' is not visible to the guest)\n",
        call(provided, provided.deploy(example), ""));
  }
}
