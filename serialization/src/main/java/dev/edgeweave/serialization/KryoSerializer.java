package dev.edgeweave.serialization;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.DefaultClassResolver;
import com.esotericsoftware.kryo.util.Pool;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import com.typesafe.config.Config;
import java.io.NotSerializableException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.JSerializer;

/**
 * The one serializer for internal actor messages. Registration is required and ids are explicit
 * ({@code edgeweave.serialization.kryo.registrations}), so two nodes of the same version agree on
 * the wire format and an unregistered class fails loudly instead of writing class names. Typed
 * {@link ActorRef}s travel through {@link ActorRefResolver}; Protobuf messages inside a command
 * travel as their own bytes.
 */
public final class KryoSerializer extends JSerializer {

  /** Serializer id; Pekko reserves 0-40 for itself. */
  public static final int IDENTIFIER = 7301;

  private static final int FIRST_USER_ID = 100;

  private final ExtendedActorSystem system;
  private final Map<Class<?>, Integer> registrations;
  private final int bufferSize;
  private final int maxBufferSize;
  private final Pool<Kryo> kryos;
  private volatile ActorRefResolver resolver;

  public KryoSerializer(ExtendedActorSystem system) {
    this.system = system;
    Config config = system.settings().config().getConfig("edgeweave.serialization.kryo");
    this.registrations = loadRegistrations(config.getConfig("registrations"), system);
    this.bufferSize = (int) config.getBytes("buffer-size").longValue();
    this.maxBufferSize = (int) config.getBytes("max-buffer-size").longValue();
    this.kryos =
        new Pool<>(true, false, Runtime.getRuntime().availableProcessors() * 2) {
          @Override
          protected Kryo create() {
            return newKryo();
          }
        };
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public boolean includeManifest() {
    return false;
  }

  @Override
  public byte[] toBinary(Object o) {
    Kryo kryo = kryos.obtain();
    try (Output output = new Output(bufferSize, maxBufferSize)) {
      kryo.writeClassAndObject(output, o);
      return output.toBytes();
    } catch (KryoException e) {
      throw new IllegalArgumentException(
          "cannot serialize " + o.getClass().getName() + ": " + e.getMessage(), e);
    } finally {
      kryos.free(kryo);
    }
  }

  @Override
  public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
    Kryo kryo = kryos.obtain();
    try (Input input = new Input(bytes)) {
      return kryo.readClassAndObject(input);
    } catch (KryoException e) {
      throw new IllegalArgumentException("cannot deserialize message: " + e.getMessage(), e);
    } finally {
      kryos.free(kryo);
    }
  }

  private Kryo newKryo() {
    Kryo kryo = new Kryo(new SubtypeAwareClassResolver(), null);
    kryo.setRegistrationRequired(true);
    kryo.setReferences(false);
    // Ids below FIRST_USER_ID belong to the fixed set registered here, in this order.
    int id = 10;
    kryo.register(ActorRef.class, new ActorRefSerializer(), id++);
    kryo.register(byte[].class, id++);
    kryo.register(ArrayList.class, id++);
    kryo.register(HashMap.class, id++);
    kryo.register(LinkedHashMap.class, id++);
    kryo.register(TreeMap.class, id++);
    kryo.register(Optional.class, id++);
    kryo.register(Collections.emptyList().getClass(), id++);
    kryo.register(Collections.emptyMap().getClass(), id++);
    kryo.register(List.of().getClass(), id++);
    kryo.register(List.of(1).getClass(), id++);
    kryo.register(List.of(1, 2, 3).getClass(), id++);
    kryo.register(Map.of().getClass(), id++);
    kryo.register(Map.of(1, 1).getClass(), id++);
    kryo.register(Map.of(1, 1, 2, 2).getClass(), id++);
    kryo.register(java.time.Duration.class, id++);
    kryo.register(java.time.Instant.class, id++);
    for (Map.Entry<Class<?>, Integer> e : registrations.entrySet()) {
      Class<?> type = e.getKey();
      if (MessageLite.class.isAssignableFrom(type)) {
        kryo.register(type, new ProtobufSerializer(type), e.getValue());
      } else {
        kryo.register(type, e.getValue());
      }
    }
    return kryo;
  }

  private ActorRefResolver resolver() {
    ActorRefResolver r = resolver;
    if (r == null) {
      r = ActorRefResolver.get(Adapter.toTyped(system));
      resolver = r;
    }
    return r;
  }

  private static Map<Class<?>, Integer> loadRegistrations(Config config, ExtendedActorSystem sys) {
    Map<Class<?>, Integer> result = new LinkedHashMap<>();
    Map<Integer, String> byId = new HashMap<>();
    for (Map.Entry<String, com.typesafe.config.ConfigValue> e : config.root().entrySet()) {
      String className = e.getKey();
      int id = ((Number) e.getValue().unwrapped()).intValue();
      if (id < FIRST_USER_ID) {
        throw new IllegalArgumentException(
            "kryo registration id for " + className + " must be >= " + FIRST_USER_ID + ": " + id);
      }
      String clash = byId.put(id, className);
      if (clash != null) {
        throw new IllegalArgumentException(
            "kryo registration id " + id + " used twice: " + clash + " and " + className);
      }
      try {
        result.put(Class.forName(className, false, sys.dynamicAccess().classLoader()), id);
      } catch (ClassNotFoundException ex) {
        throw new IllegalArgumentException("kryo registration names unknown class " + className);
      }
    }
    return result;
  }

  /** Resolves every ActorRef implementation to the one ActorRef registration. */
  private static final class SubtypeAwareClassResolver extends DefaultClassResolver {
    @Override
    @SuppressWarnings("rawtypes") // the overridden Kryo signature is raw
    public Registration getRegistration(Class type) {
      Registration registration = super.getRegistration(type);
      if (registration == null && ActorRef.class.isAssignableFrom(type)) {
        return super.getRegistration(ActorRef.class);
      }
      return registration;
    }
  }

  private final class ActorRefSerializer extends Serializer<ActorRef<?>> {
    @Override
    public void write(Kryo kryo, Output output, ActorRef<?> ref) {
      output.writeString(resolver().toSerializationFormat(ref));
    }

    @Override
    public ActorRef<?> read(Kryo kryo, Input input, Class<? extends ActorRef<?>> type) {
      return resolver().resolveActorRef(input.readString());
    }
  }

  private static final class ProtobufSerializer extends Serializer<MessageLite> {
    private final Parser<?> parser;

    ProtobufSerializer(Class<?> type) {
      try {
        this.parser = (Parser<?>) type.getMethod("parser").invoke(null);
      } catch (ReflectiveOperationException e) {
        throw new IllegalArgumentException(type.getName() + " is not a generated message", e);
      }
    }

    @Override
    public void write(Kryo kryo, Output output, MessageLite message) {
      byte[] bytes = message.toByteArray();
      output.writeVarInt(bytes.length, true);
      output.writeBytes(bytes);
    }

    @Override
    public MessageLite read(Kryo kryo, Input input, Class<? extends MessageLite> type) {
      byte[] bytes = input.readBytes(input.readVarInt(true));
      try {
        return (MessageLite) parser.parseFrom(bytes);
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new KryoException(new NotSerializableException(e.getMessage()));
      }
    }
  }
}
