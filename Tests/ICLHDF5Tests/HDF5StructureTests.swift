import Foundation
import ICLHDF5
import ICLTestSupport
import Testing

/// What a reader that must not trust a file checks: checksums, a plain tree, regular files, stored values.
@Suite struct HDF5StructureTests {
    /// A file with a checksummed and a plain dataset, written by us; h5py must see the same.
    @Test func checksumsAreHDF5sFletcher32AndEveryReaderSeesThem() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("c.h5")
        try HDF5File.writeAtomically(to: path) { file in
            file.checksums = true
            try file.write([Float](repeating: 1.5, count: 12), shape: [3, 4], at: "/checked")
            try file.write([Double](), shape: [0], at: "/empty")  // nothing to check: stored plain
            file.checksums = false
            try file.write([Float](repeating: 2, count: 4), shape: [4], at: "/plain")
        }
        let file = try HDF5File.open(path)
        #expect(try file.hasChecksum("/checked") && !file.hasChecksum("/plain") && !file.hasChecksum("/empty"))
        #expect(try file.readFloats("/checked") == [Float](repeating: 1.5, count: 12))
        try file.requirePlainTree()
        let seen = try Python.run(
            """
            import sys, h5py
            with h5py.File(sys.argv[1], "r") as f:
                print(f["checked"].fletcher32, f["checked"].chunks, f["plain"].fletcher32)
            """, arguments: [path])
        #expect(seen.stdout == "True (3, 4) False\n", "\(seen.stderr)")
    }

    @Test(arguments: [
        ("soft link", #"f["x"] = h5py.SoftLink("/g/d")"#, "/x: is a soft link"),
        ("external link", #"f["x"] = h5py.ExternalLink("other.h5", "/d")"#, "/x: is an external link"),
        ("hard-link cycle", #"f["g/loop"] = f["g"]"#, "/g/loop: is a second name (hard link)"),
        (
            "external storage", #"f.create_dataset("x", shape=(4,), dtype="f4", external=[("raw.bin", 0, 16)])"#,
            "/x: stores its values in 1 external file(s)"
        ),
    ])
    func requirePlainTreeRefusesLinksAndForeignStorage(label: String, python: String, message: String) throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("t.h5")
        let made = try Python.run(
            """
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], "w") as f:
                f["g/d"] = np.zeros(3)
                \(python)
            """, arguments: [path])
        try #require(made.status == 0, "\(made.stderr)")
        let file = try HDF5File.open(path)
        #expect(throws: HDF5Error.self) { try file.requirePlainTree() }
        do { try file.requirePlainTree() } catch {
            #expect(
                "\(error)" == "\(path): \(message)" || "\(error)".hasPrefix("\(path): \(message)"), "\(label): \(error)"
            )
        }
    }

    @Test func onlyRegularFilesAreOpenedSoAFIFONeverBlocks() throws {
        let directory = try TemporaryDirectory()
        let fifo = directory.file("x.h5")
        try #require(mkfifo(fifo, 0o644) == 0)
        #expect(throws: HDF5Error.self) { try HDF5File.open(fifo) }
        do { _ = try HDF5File.open(fifo) } catch { #expect("\(error)".contains("is not a regular file"), "\(error)") }
    }

    @Test func aDatasetNeverWrittenIsRefusedNotReadAsZeros() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("u.h5")
        let made = try Python.run(
            """
            import sys, h5py
            with h5py.File(sys.argv[1], "w") as f:
                f.create_dataset("never", shape=(1000,), dtype="f4")
                f.create_dataset("part", shape=(100,), dtype="f4", chunks=(10,))[0:10] = 1
                f.create_dataset("huge", shape=(2**40,), dtype="f4")
            """, arguments: [path])
        try #require(made.status == 0, "\(made.stderr)")
        let file = try HDF5File.open(path)
        for (name, message) in [
            ("never", "holds no stored values"), ("part", "holds 1 of its 10 chunks"),
            ("huge", "declares 1099511627776 values, more than"),
        ] {
            do {
                _ = try file.readFloats(name)
                Issue.record("\(name) was read")
            } catch {
                #expect("\(error)".contains(message), "\(name): \(error)")
            }
        }
    }
}
