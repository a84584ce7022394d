package org.relance.bench;

/** The baseline of the startup scenario: a JVM that prints one line (and, with an argument, then idles that many seconds). */
public final class Hello {
    private Hello() {
    }

    public static void main(String[] args) throws InterruptedException {
        System.out.println("hello");
        if (args.length > 0) {
            Thread.sleep(Long.parseLong(args[0]) * 1000);
        }
    }
}
