package org.relance.deploy;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.function.Consumer;

/**
 * Our own handlers for the signals that stop the suite. A shutdown hook alone would not do: the
 * JVM runs all hooks at once, and zonky's own hook would stop PostgreSQL under the running services.
 * {@code sun.misc.Signal} is reached by reflection so that the build stays free of
 * internal-API warnings; where it is missing, the shutdown hook still stops everything.
 */
final class StopSignals {
    private StopSignals() {
    }

    /**
     * Calls {@code onSignal} with {@code SIG<name>} on each of {@code names}. A signal the JVM was
     * told to ignore (SIGHUP under nohup, SIGINT in a background job) stays ignored.
     *
     * @return whether the handlers could be installed
     */
    static boolean handle(List<String> names, Consumer<String> onSignal) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
            Method getName = signalClass.getMethod("getName");
            Object handler = Proxy.newProxyInstance(StopSignals.class.getClassLoader(), new Class<?>[] {handlerClass},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "handle" -> {
                            onSignal.accept("SIG" + getName.invoke(args[0]));
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        case "toString" -> "relance stop handler";
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
            for (String name : names) {
                try {
                    handle.invoke(null, signalClass.getConstructor(String.class).newInstance(name), handler);
                } catch (InvocationTargetException e) {
                    // not a signal on this system, or reserved by the JVM
                }
            }
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }
}
