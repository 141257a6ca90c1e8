package dev.edgeweave.wasmhost.internal;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.ChicoryException;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ActiveDataSegment;
import com.dylibso.chicory.wasm.types.DataSegment;
import com.dylibso.chicory.wasm.types.Export;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.MemoryLimits;
import com.dylibso.chicory.wasm.types.OpCode;
import dev.edgeweave.wasmhost.InvalidModuleException;
import dev.edgeweave.wasmhost.Limits;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * A module parsed, validated, checked against the host's imports and compiled to JVM bytecode:
 * everything about a module that does not depend on the component running it. Built once per sha256
 * and shared by every component and invocation.
 */
public final class ModuleArtifact {
  private final String digest;
  private final WasmModule module;
  private final Function<Instance, Machine> machineFactory;
  private final ImportValues imports;
  private final boolean hasMemory;
  private final int initialPages;
  private final int declaredMaximumPages;
  private final long tableElements;
  private final MemoryImage image;
  private final long weight;

  private ModuleArtifact(
      String digest,
      WasmModule module,
      Function<Instance, Machine> machineFactory,
      ImportValues imports,
      boolean hasMemory,
      int initialPages,
      int declaredMaximumPages,
      long tableElements,
      MemoryImage image,
      long weight) {
    this.digest = digest;
    this.module = module;
    this.machineFactory = machineFactory;
    this.imports = imports;
    this.hasMemory = hasMemory;
    this.initialPages = initialPages;
    this.declaredMaximumPages = declaredMaximumPages;
    this.tableElements = tableElements;
    this.image = image;
    this.weight = weight;
  }

  /**
   * Parses, validates, links and compiles {@code wasm}; slow, so callers cache the result. What the
   * module declares (initial memory, tables) is checked against {@code limits} right after parsing,
   * before anything of that size is allocated.
   */
  public static ModuleArtifact compile(byte[] wasm, String digest, Limits limits)
      throws InvalidModuleException {
    WasmModule module;
    try {
      module = Parser.parse(wasm);
    } catch (ChicoryException e) {
      throw new InvalidModuleException("module is not valid WebAssembly: " + e.getMessage(), e);
    }
    ImportValues imports = resolveImports(module);

    boolean hasMemory = module.memorySection().map(s -> s.memoryCount() > 0).orElse(false);
    int initialPages = 0;
    int declaredMaximum = 0;
    if (hasMemory) {
      if (module.memorySection().get().memoryCount() > 1) {
        throw new InvalidModuleException("module declares more than one memory, not supported");
      }
      MemoryLimits memoryLimits = module.memorySection().get().getMemory(0).limits();
      if (memoryLimits.shared()) {
        throw new InvalidModuleException("module declares a shared memory, not supported");
      }
      initialPages = memoryLimits.initialPages();
      declaredMaximum = memoryLimits.maximumPages();
    }
    long tableElements = 0;
    for (int i = 0; i < module.tableSection().tableCount(); i++) {
      tableElements += module.tableSection().getTable(i).limits().min();
    }
    String problem = limitProblem(hasMemory, initialPages, tableElements, limits);
    if (problem != null) {
      throw new InvalidModuleException(problem);
    }

    Function<Instance, Machine> machineFactory;
    try {
      machineFactory = MachineFactoryCompiler.compile(module);
    } catch (ChicoryException | IllegalArgumentException e) {
      throw new InvalidModuleException("module could not be compiled: " + e.getMessage(), e);
    }

    MemoryImage image = hasMemory ? initialImage(module, initialPages) : null;
    ModuleArtifact artifact =
        new ModuleArtifact(
            digest,
            module,
            machineFactory,
            imports,
            hasMemory,
            initialPages,
            declaredMaximum,
            tableElements,
            image,
            // The parsed module holds about what the binary holds; the image holds the data again.
            wasm.length + (image == null ? 0 : image.dataBytes()));
    artifact.checkLinks();
    return artifact;
  }

  /** Null if what the module declares fits {@code limits}, else why not. */
  public String limitProblem(Limits limits) {
    return limitProblem(hasMemory, initialPages, tableElements, limits);
  }

  private static String limitProblem(
      boolean hasMemory, int initialPages, long tableElements, Limits limits) {
    if (hasMemory && initialPages > limits.maxMemoryPages()) {
      return "module needs "
          + initialPages
          + " initial memory pages, more than its limit of "
          + limits.maxMemoryPages();
    }
    if (tableElements > limits.maxTableElements()) {
      return "module declares "
          + tableElements
          + " table elements, more than its limit of "
          + limits.maxTableElements();
    }
    return null;
  }

  private static ImportValues resolveImports(WasmModule module) throws InvalidModuleException {
    List<ImportFunction> functions = new ArrayList<>();
    int count = module.importSection().importCount();
    for (int i = 0; i < count; i++) {
      Import imp = module.importSection().getImport(i);
      String name = imp.module() + "." + imp.name();
      boolean weave = Weave.MODULE.equals(imp.module());
      if (imp.importType() != ExternalType.FUNCTION
          || !(weave || Wasi.MODULE.equals(imp.module()))) {
        throw new InvalidModuleException(
            "module imports "
                + imp.importType().name().toLowerCase(Locale.ROOT)
                + " "
                + name
                + ", which the host does not provide (only "
                + Wasi.MODULE
                + " and "
                + Weave.MODULE
                + " functions are available)");
      }
      HostFunction host =
          (weave ? Weave.function(imp.name()) : Wasi.function(imp.name()))
              .orElseThrow(
                  () ->
                      new InvalidModuleException(
                          "module imports function "
                              + name
                              + ", which is not part of "
                              + imp.module()));
      FunctionType wanted = module.typeSection().getType(((FunctionImport) imp).typeIndex());
      if (!wanted.equals(host.functionType())) {
        throw new InvalidModuleException(
            "module imports "
                + name
                + " with type "
                + wanted
                + ", but the host provides "
                + host.functionType());
      }
      functions.add(host);
    }
    // In import order, only what the module uses: Chicory's linking scans this list per import.
    return ImportValues.builder().withFunctions(functions).build();
  }

  /**
   * The memory right after instantiation, or null if it cannot be computed without running the
   * module (a start function, or data offsets that are not constants).
   */
  private static MemoryImage initialImage(WasmModule module, int initialPages)
      throws InvalidModuleException {
    if (module.startSection().isPresent()) {
      return null;
    }
    long size = (long) initialPages * com.dylibso.chicory.runtime.Memory.PAGE_SIZE;
    if (size > Integer.MAX_VALUE) {
      // Beyond one Java array: such a memory cannot be pooled (nor, in practice, allocated).
      return null;
    }
    List<MemoryImage.Segment> segments = new ArrayList<>();
    for (DataSegment s : module.dataSection().dataSegments()) {
      if (!(s instanceof ActiveDataSegment)) {
        continue;
      }
      ActiveDataSegment segment = (ActiveDataSegment) s;
      List<Instruction> offsetExpr = segment.offsetInstructions();
      if (segment.index() != 0
          || offsetExpr.isEmpty()
          || offsetExpr.get(0).opcode() != OpCode.I32_CONST
          || (offsetExpr.size() > 1 && offsetExpr.get(1).opcode() != OpCode.END)
          || offsetExpr.size() > 2) {
        return null;
      }
      long offset = offsetExpr.get(0).operand(0) & 0xFFFFFFFFL;
      byte[] data = segment.data();
      if (offset + data.length > size) {
        throw new InvalidModuleException(
            "module data segment at offset " + offset + " does not fit in its initial memory");
      }
      segments.add(new MemoryImage.Segment(offset, data));
    }
    return MemoryImage.of((int) size, segments);
  }

  /**
   * Builds one instance without running anything, so that linking errors surface now. Its memory is
   * empty: the check needs none, and a module's initial memory may be large.
   */
  private void checkLinks() throws InvalidModuleException {
    try {
      Instance.builder(module)
          .withImportValues(imports)
          .withMachineFactory(machineFactory)
          .withMemoryLimits(new MemoryLimits(0, 0))
          .withMemoryFactory(l -> GuestMemory.blank(0, 0))
          .withInitialize(false)
          .build();
    } catch (ChicoryException e) {
      throw new InvalidModuleException("module cannot be instantiated: " + e.getMessage(), e);
    }
  }

  /** Null if {@code name} is exported as a function taking and returning nothing, else why not. */
  public String entrypointProblem(String name) {
    for (int i = 0; i < module.exportSection().exportCount(); i++) {
      Export export = module.exportSection().getExport(i);
      if (!export.name().equals(name)) {
        continue;
      }
      if (export.exportType() != ExternalType.FUNCTION) {
        return "module exports '" + name + "' as a " + export.exportType() + ", not a function";
      }
      FunctionType type = functionType(export.index());
      if (!type.params().isEmpty() || !type.returns().isEmpty()) {
        return "module exports entrypoint '" + name + "' with type " + type + ", expected () -> ()";
      }
      return null;
    }
    return "module does not export the entrypoint function '" + name + "'";
  }

  private FunctionType functionType(int functionIndex) {
    int imported = module.importSection().count(ExternalType.FUNCTION);
    if (functionIndex < imported) {
      int seen = 0;
      for (int i = 0; i < module.importSection().importCount(); i++) {
        Import imp = module.importSection().getImport(i);
        if (imp.importType() == ExternalType.FUNCTION && seen++ == functionIndex) {
          return module.typeSection().getType(((FunctionImport) imp).typeIndex());
        }
      }
    }
    return module
        .typeSection()
        .getType(module.functionSection().getFunctionType(functionIndex - imported));
  }

  public String digest() {
    return digest;
  }

  public WasmModule module() {
    return module;
  }

  public Function<Instance, Machine> machineFactory() {
    return machineFactory;
  }

  public ImportValues imports() {
    return imports;
  }

  public boolean hasMemory() {
    return hasMemory;
  }

  public int initialPages() {
    return initialPages;
  }

  /** The maximum the module declares, {@link MemoryLimits#MAX_PAGES} if it declares none. */
  public int declaredMaximumPages() {
    return declaredMaximumPages;
  }

  /** The initial memory with data segments applied, or null if memories cannot be pooled. */
  public MemoryImage image() {
    return image;
  }

  /**
   * Estimated heap bytes this artifact holds (its compiled classes live outside the heap and grow
   * with its code, which this also counts).
   */
  public long weight() {
    return weight;
  }

  /** Elements of the module's tables together, as declared initially. */
  public long tableElements() {
    return tableElements;
  }
}
