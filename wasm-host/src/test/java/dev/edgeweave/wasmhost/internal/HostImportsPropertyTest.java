package dev.edgeweave.wasmhost.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;

import com.dylibso.chicory.runtime.ExportFunction;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.ValType;
import dev.edgeweave.wasmhost.BlockingListener;
import dev.edgeweave.wasmhost.Capabilities;
import dev.edgeweave.wasmhost.ComponentSpec;
import dev.edgeweave.wasmhost.EngineConfig;
import dev.edgeweave.wasmhost.GuestException;
import dev.edgeweave.wasmhost.GuestFunction;
import dev.edgeweave.wasmhost.GuestRequest;
import dev.edgeweave.wasmhost.Header;
import dev.edgeweave.wasmhost.HostAllowList;
import dev.edgeweave.wasmhost.InMemoryKv;
import dev.edgeweave.wasmhost.Limits;
import dev.edgeweave.wasmhost.OutboundConfig;
import dev.edgeweave.wasmhost.OutboundHttpClient;
import dev.edgeweave.wasmhost.OutboundLimits;
import dev.edgeweave.wasmhost.OutboundResponse;
import dev.edgeweave.wasmhost.TestGuests;
import dev.edgeweave.wasmhost.ThreadAllocation;
import dev.edgeweave.wasmhost.Variables;
import dev.edgeweave.wasmhost.WasmEngine;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Every host import (WASI and weave), called from a real instance with a small memory, with hostile
 * arguments and hostile memory contents: each call answers an errno or traps, allocates nothing
 * proportional to what it was asked, and the engine serves the next guest as before.
 */
class HostImportsPropertyTest {
  /** The guest's memory: one page. */
  private static final long MEMORY = 64 * 1024;

  /** More than any honest call into a 64 KiB memory needs, far less than a hostile size. */
  private static final long ALLOCATION_BOUND = 1024 * 1024;

  private static final int HIGHEST_ERRNO = 76;

  private static final byte[] METHOD = "POST".getBytes(UTF_8);
  private static final int METHOD_AT = 4000;
  private static final byte[] URL = "http://127.0.0.1:9/x".getBytes(UTF_8);
  private static final int URL_AT = 4096;

  /** What each parameter of each import stands for; a new import needs an entry here. */
  private enum Role {
    FD,
    POINTER,
    LENGTH,
    COUNT,
    FLAGS,
    I64,
    /** A weave key-value handle. */
    HANDLE,
    /** A weave outbound HTTP response handle. */
    RESPONSE,
    /**
     * Where an HTTP method or URL lies: mostly the ones the memory holds, so that calls get past
     * their parsing to the checks behind it.
     */
    METHOD_POINTER,
    METHOD_LENGTH,
    URL_POINTER,
    URL_LENGTH
  }

  /** Every host function the engine offers, WASI's and weave's, by name. */
  private static final Map<String, HostFunction> HOST_FUNCTIONS = hostFunctions();

  private static final Map<String, List<Role>> ROLES = roles();

  private static ModuleArtifact withMemory;
  private static ModuleArtifact withoutMemory;
  private static WasmEngine engine;
  private static GuestFunction counter;

  /**
   * The node's outbound HTTP; the component may reach no host, so whatever URL a call makes of the
   * guest's memory, no connection is made (a response is kept at handle 0 instead).
   */
  private static OutboundHttpClient outbound;

  /** One generated call: the import and its arguments. */
  record Call(String function, long[] args) {
    @Override
    public String toString() {
      return function
          + Arrays.stream(args)
              .mapToObj(a -> "0x" + Long.toHexString(a))
              .collect(Collectors.joining(", ", "(", ")"));
    }
  }

  /** One try: a call of every import, and the words the guest's memory is filled with. */
  record Round(List<Call> calls, List<Long> memoryWords) {}

  @BeforeAll
  static void build() throws Exception {
    withMemory =
        ModuleArtifact.compile(
            callerModule("host-imports", true), "with-memory", Limits.defaults());
    withoutMemory =
        ModuleArtifact.compile(
            callerModule("host-imports-nomem", false), "no-memory", Limits.defaults());
    engine = WasmEngine.create(EngineConfig.defaults());
    outbound = OutboundHttpClient.create(OutboundConfig.defaults());
    counter = engine.prepare(TestGuests.wat("counter"), ComponentSpec.builder("counter").build());
    // Loads every class the calls use, so that measurements see only the calls.
    for (String name : HOST_FUNCTIONS.keySet()) {
      long[] zeros = new long[ROLES.get(name).size()];
      outcome(withMemory, new Call(name, zeros), new byte[(int) MEMORY]);
      outcome(withoutMemory, new Call(name, zeros), null);
    }
  }

  @AfterAll
  static void close() {
    engine.close();
    outbound.close();
  }

  private static Map<String, HostFunction> hostFunctions() {
    Map<String, HostFunction> all = new TreeMap<>();
    for (String name : Wasi.functionNames()) {
      all.put(name, Wasi.function(name).orElseThrow());
    }
    for (String name : Weave.functionNames()) {
      assertTrue(all.put(name, Weave.function(name).orElseThrow()) == null, "two imports " + name);
    }
    return all;
  }

  /** A module that imports every host function and exports {@code call_<name>} calling it. */
  private static byte[] callerModule(String name, boolean memory) {
    StringBuilder wat = new StringBuilder("(module\n");
    StringBuilder exports = new StringBuilder();
    for (String function : HOST_FUNCTIONS.keySet()) {
      HostFunction host = HOST_FUNCTIONS.get(function);
      String params =
          host.functionType().params().stream()
              .map(t -> t == ValType.I64 ? "i64" : "i32")
              .collect(Collectors.joining(" "));
      String result = host.functionType().returns().isEmpty() ? "" : " (result i32)";
      wat.append(
          String.format(
              "  (import \"%s\" \"%s\" (func $%s (param %s)%s))%n",
              host.module(), function, function, params, result));
      exports.append(
          String.format("  (func (export \"call_%s\") (param %s)%s%n", function, params, result));
      for (int i = 0; i < host.functionType().params().size(); i++) {
        exports.append("    local.get ").append(i).append('\n');
      }
      exports.append("    call $").append(function).append(")\n");
    }
    if (memory) {
      wat.append("  (memory 1 1)\n");
    }
    return TestGuests.watText(name, wat.append(exports).append(")\n").toString());
  }

  @Test
  void everyHostImportHasAnArgumentGeneratorOfItsType() {
    assertTrue(HOST_FUNCTIONS.keySet().containsAll(Weave.functionNames()));
    for (String name : HOST_FUNCTIONS.keySet()) {
      List<Role> roles = ROLES.get(name);
      assertNotNull(roles, "no argument generator for host import " + name);
      List<ValType> params = HOST_FUNCTIONS.get(name).functionType().params();
      assertEquals(params.size(), roles.size(), name);
      for (int i = 0; i < params.size(); i++) {
        assertEquals(params.get(i) == ValType.I64, roles.get(i) == Role.I64, name + " param " + i);
      }
    }
  }

  @Test
  void everyHostImportAnswersHostileArgumentsWithAnErrnoOrATrapAndAllocatesNoMoreThanBounded() {
    qt().withExamples(500).forAll(rounds()).checkAssert(HostImportsPropertyTest::survives);
  }

  private static void survives(Round round) {
    byte[] content = fill(round.memoryWords());
    for (Call call : round.calls()) {
      for (ModuleArtifact artifact : List.of(withMemory, withoutMemory)) {
        long before = ThreadAllocation.current();
        String outcome = outcome(artifact, call, artifact == withMemory ? content : null);
        long allocated = ThreadAllocation.current() - before;

        assertTrue(
            allocated < ALLOCATION_BOUND,
            call + " allocated " + allocated + " bytes (" + outcome + ")");
        assertFalse(Thread.interrupted(), call + " left the thread interrupted");
      }
    }
    // The engine keeps serving.
    try {
      assertEquals(
          "fresh", new String(counter.invoke(GuestRequest.builder().build()).body(), UTF_8));
    } catch (GuestException e) {
      throw new AssertionError("the engine stopped serving after " + round, e);
    }
  }

  /**
   * Calls the import in a fresh instance whose memory holds {@code content}; returns what happened,
   * failing the test on anything but an errno, a trap, or the exits some imports are for.
   */
  private static String outcome(ModuleArtifact artifact, Call call, byte[] content) {
    GuestMemory memory = GuestMemory.blank(1, 1);
    Instance.Builder builder =
        Instance.builder(artifact.module())
            .withImportValues(artifact.imports())
            .withMachineFactory(artifact.machineFactory())
            .withStart(false);
    if (content != null) {
      builder.withMemoryLimits(new MemoryLimits(1, 1)).withMemoryFactory(l -> memory);
    }
    Instance instance = builder.build();
    if (content != null) {
      // After instantiation, which zeroes the memory.
      memory.write(0, content);
    }
    ExportFunction export = instance.export("call_" + call.function());
    WasiContext context =
        new WasiContext(
            () -> List.of("guest", "--flag"),
            () -> List.of("A=1", "PATH_INFO=/x"),
            "stdin body".getBytes(UTF_8),
            Limits.defaults().maxStdoutBytes(),
            EngineConfig.defaults().maxStderrBytes(),
            FileTree.of(Map.of("/a.txt", new byte[100], "/dir/b.txt", "b".getBytes(UTF_8))));
    // Stores answer at once; handle 0 is the declared store "default", others are denied.
    InMemoryKv kv = new InMemoryKv(Set.of("default"));
    context.withCapabilities(
        new Capabilities(
            kv,
            Variables.of(Map.of("who", "world")),
            outbound.forComponent(
                "hostile", HostAllowList.NONE, OutboundLimits.defaults(), false)));
    context.addKvHandle(kv.open("default"), Weave.MAX_KV_HANDLES);
    context.addHttpResponse(
        new OutboundResponse(
            200, List.of(new Header("content-type", "text/plain")), "body".getBytes(UTF_8)));
    // A sleep ends at this deadline at the latest.
    context.attach(System.nanoTime() + 1_000_000, BlockingListener.NONE);
    try {
      long[] result = export.apply(call.args());
      if (call.function().equals("proc_exit")) {
        fail(call + " returned");
      }
      long errno = result[0];
      int highest =
          Weave.function(call.function()).isPresent() ? Weave.HIGHEST_STATUS : HIGHEST_ERRNO;
      assertTrue(errno >= 0 && errno <= highest, call + " answered " + errno);
      return "errno " + errno;
    } catch (ProcExit e) {
      assertEquals("proc_exit", call.function(), call + " exited");
      return "exit";
    } catch (OutputLimitExceeded e) {
      assertEquals("fd_write", call.function(), call + " hit the output limit");
      return "output limit";
    } catch (ChicoryException e) {
      return "trap: " + e.getMessage();
    } catch (RuntimeException | Error e) {
      throw new AssertionError(call + " threw " + e, e);
    } finally {
      WasiContext.detach();
      Thread.interrupted();
    }
  }

  /** Memory content: the words repeated, and two paths that exist in the file tree. */
  private static byte[] fill(List<Long> words) {
    byte[] content = new byte[(int) MEMORY];
    for (int at = 0; at + 4 <= content.length; at += 4) {
      long word = words.get((at / 4) % words.size());
      for (int b = 0; b < 4; b++) {
        content[at + b] = (byte) (word >>> (8 * b));
      }
    }
    System.arraycopy("a.txt".getBytes(UTF_8), 0, content, 1024, 5);
    System.arraycopy("dir".getBytes(UTF_8), 0, content, 2048, 3);
    System.arraycopy("default".getBytes(UTF_8), 0, content, 3072, 7);
    // A method and a URL (an undeclared host: denied before any connection).
    System.arraycopy(METHOD, 0, content, METHOD_AT, METHOD.length);
    System.arraycopy(URL, 0, content, URL_AT, URL.length);
    return content;
  }

  private static Gen<Round> rounds() {
    List<Gen<Call>> calls = new ArrayList<>();
    for (String name : HOST_FUNCTIONS.keySet()) {
      List<Role> roles = ROLES.get(name);
      if (roles == null) {
        throw new AssertionError("no argument generator for host import " + name);
      }
      calls.add(arguments(roles).map(args -> new Call(name, args)));
    }
    // Pairs of pointer and length, so that every aligned iovec the guest points at names a buffer.
    Gen<Long> pointers = pointers();
    Gen<Long> second =
        weighted(List.of(Pair.of(3, lengths()), Pair.of(1, counts()), Pair.of(1, flags())));
    Gen<Integer> pairCount = Generate.range(1, 8);
    Gen<List<Long>> words =
        in -> {
          List<Long> out = new ArrayList<>();
          for (int i = pairCount.generate(in); i > 0; i--) {
            out.add(pointers.generate(in));
            out.add(second.generate(in));
          }
          return out;
        };
    Gen<List<Call>> everyCall =
        in -> {
          List<Call> out = new ArrayList<>(calls.size());
          for (Gen<Call> call : calls) {
            out.add(call.generate(in));
          }
          return out;
        };
    return everyCall.zip(words, Round::new);
  }

  private static Gen<long[]> arguments(List<Role> roles) {
    List<Gen<Long>> each = new ArrayList<>();
    for (Role role : roles) {
      each.add(
          switch (role) {
            case FD -> fds();
            case POINTER -> pointers();
            case LENGTH -> lengths();
            case COUNT -> counts();
            case FLAGS -> flags();
            case I64 -> i64s();
            case HANDLE, RESPONSE -> handles();
            case METHOD_POINTER -> mostly(METHOD_AT, pointers());
            case METHOD_LENGTH -> mostly(METHOD.length, lengths());
            case URL_POINTER -> mostly(URL_AT, pointers());
            case URL_LENGTH -> mostly(URL.length, lengths());
          });
    }
    return in -> {
      long[] args = new long[each.size()];
      for (int i = 0; i < args.length; i++) {
        args[i] = each.get(i).generate(in);
      }
      return args;
    };
  }

  private static Gen<Long> mostly(long value, Gen<Long> otherwise) {
    return weighted(List.of(Pair.of(3, Generate.constant(value)), Pair.of(1, otherwise)));
  }

  private static Gen<Long> weighted(List<Pair<Integer, Gen<Long>>> choices) {
    return Generate.frequency(choices);
  }

  private static Gen<Long> u32s() {
    return Generate.longRange(0, 0xFFFF_FFFFL);
  }

  private static Gen<Long> extremes(Long... values) {
    return weighted(
        List.of(
            Pair.of(6, Generate.pick(List.of(values))),
            Pair.of(2, Generate.longRange(0, MEMORY + 64)),
            Pair.of(1, u32s())));
  }

  private static Gen<Long> pointers() {
    return extremes(
        0L,
        4L,
        8L,
        1024L,
        2048L,
        MEMORY - 1,
        MEMORY - 4,
        MEMORY - 8,
        MEMORY - 48,
        MEMORY,
        MEMORY + 1,
        0x7FFF_FFFFL,
        0x8000_0000L,
        0xFFFF_FFF8L,
        0xFFFF_FFFFL);
  }

  private static Gen<Long> lengths() {
    return extremes(
        0L,
        1L,
        3L,
        5L,
        8L,
        24L,
        4096L,
        4097L,
        MEMORY - 1,
        MEMORY,
        MEMORY + 1,
        4L << 20,
        8L << 20,
        0x7FFF_FFFFL,
        0x8000_0000L,
        0xFFFF_FFFFL);
  }

  private static Gen<Long> counts() {
    return extremes(
        0L,
        1L,
        2L,
        3L,
        1024L,
        1025L,
        4096L,
        4097L,
        0x1FFF_FFFFL,
        0x2000_0000L,
        0x7FFF_FFFFL,
        0xFFFF_FFFFL);
  }

  private static Gen<Long> fds() {
    // Mostly the descriptors that exist: stdio and the preopened directory.
    return weighted(
        List.of(
            Pair.of(3, Generate.pick(List.of(0L, 1L, 2L, 3L))),
            Pair.of(1, extremes(4L, 5L, 1023L, 1024L, 0x7FFF_FFFFL, 0xFFFF_FFFFL))));
  }

  private static Gen<Long> handles() {
    // Mostly the open store (0), then handles that name nothing.
    return weighted(
        List.of(
            Pair.of(3, Generate.pick(List.of(0L))),
            Pair.of(1, extremes(1L, 63L, 64L, 0x7FFF_FFFFL, 0xFFFF_FFFFL))));
  }

  private static Gen<Long> flags() {
    return extremes(0L, 1L, 2L, 3L, 4L, 8L, 0xFFL, 0xFFFFL, 0xFFFF_FFFFL);
  }

  private static Gen<Long> i64s() {
    return weighted(
        List.of(
            Pair.of(
                4,
                Generate.pick(
                    List.of(
                        0L,
                        1L,
                        100L,
                        1_000_000L,
                        -1L,
                        Long.MAX_VALUE,
                        Long.MIN_VALUE,
                        1L << 32,
                        MEMORY))),
            Pair.of(1, Generate.longRange(Long.MIN_VALUE, Long.MAX_VALUE))));
  }

  private static Map<String, List<Role>> roles() {
    Role fd = Role.FD;
    Role ptr = Role.POINTER;
    Role len = Role.LENGTH;
    Role count = Role.COUNT;
    Role flags = Role.FLAGS;
    Role i64 = Role.I64;
    Map<String, List<Role>> r = new TreeMap<>();
    r.put("args_get", List.of(ptr, ptr));
    r.put("args_sizes_get", List.of(ptr, ptr));
    r.put("environ_get", List.of(ptr, ptr));
    r.put("environ_sizes_get", List.of(ptr, ptr));
    r.put("clock_res_get", List.of(flags, ptr));
    r.put("clock_time_get", List.of(flags, i64, ptr));
    r.put("fd_advise", List.of(fd, i64, i64, flags));
    r.put("fd_allocate", List.of(fd, i64, i64));
    r.put("fd_close", List.of(fd));
    r.put("fd_datasync", List.of(fd));
    r.put("fd_fdstat_get", List.of(fd, ptr));
    r.put("fd_fdstat_set_flags", List.of(fd, flags));
    r.put("fd_fdstat_set_rights", List.of(fd, i64, i64));
    r.put("fd_filestat_get", List.of(fd, ptr));
    r.put("fd_filestat_set_size", List.of(fd, i64));
    r.put("fd_filestat_set_times", List.of(fd, i64, i64, flags));
    r.put("fd_pread", List.of(fd, ptr, count, i64, ptr));
    r.put("fd_prestat_get", List.of(fd, ptr));
    r.put("fd_prestat_dir_name", List.of(fd, ptr, len));
    r.put("fd_pwrite", List.of(fd, ptr, count, i64, ptr));
    r.put("fd_read", List.of(fd, ptr, count, ptr));
    r.put("fd_readdir", List.of(fd, ptr, len, i64, ptr));
    r.put("fd_renumber", List.of(fd, fd));
    r.put("fd_seek", List.of(fd, i64, flags, ptr));
    r.put("fd_sync", List.of(fd));
    r.put("fd_tell", List.of(fd, ptr));
    r.put("fd_write", List.of(fd, ptr, count, ptr));
    r.put("path_create_directory", List.of(fd, ptr, len));
    r.put("path_filestat_get", List.of(fd, flags, ptr, len, ptr));
    r.put("path_filestat_set_times", List.of(fd, flags, ptr, len, i64, i64, flags));
    r.put("path_link", List.of(fd, flags, ptr, len, fd, ptr, len));
    r.put("path_open", List.of(fd, flags, ptr, len, flags, i64, i64, flags, ptr));
    r.put("path_readlink", List.of(fd, ptr, len, ptr, len, ptr));
    r.put("path_remove_directory", List.of(fd, ptr, len));
    r.put("path_rename", List.of(fd, ptr, len, fd, ptr, len));
    r.put("path_symlink", List.of(ptr, len, fd, ptr, len));
    r.put("path_unlink_file", List.of(fd, ptr, len));
    r.put("poll_oneoff", List.of(ptr, ptr, count, ptr));
    r.put("proc_exit", List.of(flags));
    r.put("proc_raise", List.of(flags));
    r.put("random_get", List.of(ptr, len));
    r.put("sched_yield", List.of());
    r.put("sock_accept", List.of(fd, flags, ptr));
    r.put("sock_recv", List.of(fd, ptr, count, flags, ptr, ptr));
    r.put("sock_send", List.of(fd, ptr, count, flags, ptr));
    r.put("sock_shutdown", List.of(fd, flags));
    Role h = Role.HANDLE;
    r.put("kv_open", List.of(ptr, len, ptr));
    r.put("kv_get", List.of(h, ptr, len, ptr, len, ptr));
    r.put("kv_set", List.of(h, ptr, len, ptr, len));
    r.put("kv_delete", List.of(h, ptr, len));
    r.put("kv_exists", List.of(h, ptr, len, ptr));
    r.put("kv_keys", List.of(h, ptr, len, count, ptr, len, ptr));
    r.put("kv_increment", List.of(h, ptr, len, i64, ptr, len, ptr));
    r.put("kv_cas", List.of(h, ptr, len, ptr, len, flags, ptr, len, ptr));
    r.put("variable_get", List.of(ptr, len, ptr, len, ptr));
    r.put("log", List.of(flags, ptr, len));
    Role resp = Role.RESPONSE;
    r.put(
        "http_send",
        List.of(
            Role.METHOD_POINTER,
            Role.METHOD_LENGTH,
            Role.URL_POINTER,
            Role.URL_LENGTH,
            ptr,
            len,
            ptr,
            len,
            ptr,
            ptr));
    r.put("http_response_headers", List.of(resp, ptr, len, ptr));
    r.put("http_response_body", List.of(resp, ptr, len, ptr));
    return r;
  }
}
