import Foundation
import ICLHDF5
import ICLTestSupport
import Testing

@Suite struct HDF5FileTests {
    @Test func datasetsRoundTripWithTheirShapes() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("datasets.h5")
        let matrix: [Float] = [1, -2.5, 3, 4, 5e-8, .greatestFiniteMagnitude]
        let vector: [Double] = [0.1, -0.2, .pi]
        do {
            let file = try HDF5File.create(path)
            try file.write(matrix, shape: [2, 3], at: "/model/W_Q")
            try file.write(vector, shape: [3], at: "/model/bias")
            try file.write([Int64.min, 0, .max], shape: [3, 1], at: "/steps")
            try file.write([Float(7.5)], shape: [], at: "/scalars/eta")
            try file.write([Int64(42)], shape: [], at: "/scalars/seed")
            try file.write([Double](), shape: [0, 4], at: "/empty")
            try file.write(["W_Q", "W_K", "ünïcødé", ""], at: "/names")
        }
        let file = try HDF5File.open(path)
        #expect(try file.shape(of: "/model/W_Q") == [2, 3])
        #expect(try file.readFloats("/model/W_Q") == matrix)
        #expect(try file.readDoubles("/model/W_Q") == matrix.map(Double.init))
        #expect(try file.shape(of: "/model/bias") == [3])
        #expect(try file.readDoubles("/model/bias") == vector)
        #expect(try file.readFloats("/model/bias") == vector.map(Float.init))
        #expect(try file.shape(of: "/steps") == [3, 1])
        #expect(try file.readInts("/steps") == [Int64.min, 0, .max])
        #expect(try file.shape(of: "/scalars/eta") == [])
        #expect(try file.readFloats("/scalars/eta") == [7.5])
        #expect(try file.readInts("scalars/seed") == [42])
        #expect(try file.shape(of: "/empty") == [0, 4])
        #expect(try file.readDoubles("/empty") == [])
        #expect(try file.shape(of: "/names") == [4])
        #expect(try file.readStrings("/names") == ["W_Q", "W_K", "ünïcødé", ""])
    }

    @Test func groupsNestAndListTheirChildrenSorted() throws {
        let directory = try TemporaryDirectory()
        let file = try HDF5File.create(directory.file("groups.h5"))
        try file.createGroup("/model/layer_1")
        try file.createGroup("/model/layer_0/attention")
        try file.createGroup("/model/layer_0")  // already there: fine
        try file.write([Float(1)], shape: [1], at: "/model/layer_0/attention/head_0/W_Q")
        try file.write([Float(1)], shape: [1], at: "/model/P")

        #expect(try file.children(of: "/") == ["model"])
        #expect(try file.children(of: "/model") == ["P", "layer_0", "layer_1"])
        #expect(try file.children(of: "/model/layer_0/attention/head_0") == ["W_Q"])
        #expect(file.exists("/") && file.isGroup("/"))
        #expect(file.isGroup("/model/layer_0/attention/head_0"))
        #expect(file.isDataset("/model/layer_0/attention/head_0/W_Q"))
        #expect(!file.isGroup("/model/P") && file.isDataset("/model/P"))
        #expect(!file.exists("/missing/deeper/still"))
        #expect(!file.exists("/model/P/below_a_dataset"))
        #expect(!file.isDataset("/missing") && !file.isGroup("/missing"))
        #expect(throws: HDF5Error.self) { try file.createGroup("/model/P") }
        #expect(throws: HDF5Error.self) { try file.children(of: "/model/P") }
    }

    @Test func aDatasetIsWrittenOnce() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("once.h5")
        let file = try HDF5File.create(path)
        try file.write([Float(1)], shape: [1], at: "/x")
        let error = try #require(throws: HDF5Error.self) { try file.write([Float(2)], shape: [1], at: "/x") }
        #expect(error.description.hasPrefix("\(path): /x: already exists"))
    }

    @Test func closingIsIdempotentAndLaterCallsThrow() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("closed.h5")
        let file = try HDF5File.create(path)
        file.close()
        file.close()
        let error = try #require(throws: HDF5Error.self) { try file.write([Float(1)], shape: [1], at: "/x") }
        #expect(error.description == "\(path): /x: file is closed")
        #expect(!file.exists("/"))
    }

    @Test func atomicWriteLeavesOnlyTheFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("model.h5")
        try HDF5File.writeAtomically(to: path) { file in
            try file.write([Float(1), 2], shape: [2], at: "/model/P")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.h5"])
        #expect(try HDF5File.open(path).readFloats("/model/P") == [1, 2])

        try HDF5File.writeAtomically(to: path) { file in
            try file.write([Float(3)], shape: [1], at: "/model/P")
        }
        #expect(try HDF5File.open(path).readFloats("/model/P") == [3])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.h5"])
    }

    @Test func failedAtomicWriteKeepsThePreviousFile() throws {
        struct Interrupted: Error {}
        let directory = try TemporaryDirectory()
        let path = directory.file("model.h5")
        try HDF5File.writeAtomically(to: path) { file in
            try file.write([Float(1)], shape: [1], at: "/model/P")
        }
        #expect(throws: Interrupted.self) {
            try HDF5File.writeAtomically(to: path) { file in
                try file.write([Float(2)], shape: [1], at: "/model/P")
                throw Interrupted()
            }
        }
        #expect(try HDF5File.open(path).readFloats("/model/P") == [1])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.h5"])
    }

    @Test func errorsInsideAnAtomicWriteNameTheDestination() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("model.h5")
        let error = try #require(throws: HDF5Error.self) {
            try HDF5File.writeAtomically(to: path) { file in _ = try file.readFloats("/missing") }
        }
        #expect(error.description == "\(path): /missing: missing dataset")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == [])
    }

    /// The write fails after the temporary file is complete: the target is a folder that is not empty,
    /// so the rename is refused. (Tests share one process, so no file-size limit or signal setting here;
    /// ConstructTests covers a write that fails with EFBIG in a process of its own.)
    @Test func atomicWriteThatCannotFinishNamesTheTargetOnOneLine() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("model.h5")
        try FileManager.default.createDirectory(atPath: path + "/inside", withIntermediateDirectories: true)
        let error = try #require(throws: HDF5Error.self) {
            try HDF5File.writeAtomically(to: path) { file in
                try file.write([Float](repeating: 0.5, count: 10_000), shape: [100, 100], at: "/model/W_Q")
            }
        }
        #expect(error.file == path && error.path == "")
        #expect(error.description.hasPrefix("\(path): cannot rename "), "\(error)")
        let lines = error.description.split(whereSeparator: \.isNewline)
        #expect(lines.count == 1, "not one line: \(error)")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.h5"], "temporary file left")
        #expect(try FileManager.default.contentsOfDirectory(atPath: path) == ["inside"])
    }

    /// The file is built in memory and only written out at the end: a body that closes it has thrown
    /// its contents away, which must be an error rather than an empty or partial file.
    @Test func closingTheFileInsideAnAtomicWriteIsAnError() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("model.h5")
        let error = try #require(throws: HDF5Error.self) {
            try HDF5File.writeAtomically(to: path) { file in
                try file.write([Float(1)], shape: [1], at: "/model/P")
                file.close()
            }
        }
        #expect(error.description == "\(path): file is closed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == [])
    }

    /// What `writeAtomically` publishes is an ordinary HDF5 file, byte for byte what writing it directly
    /// to disk gives: nothing of the in-memory driver it was built with is left in it.
    @Test func atomicWriteGivesTheSameBytesAsAWriteToDisk() throws {
        let directory = try TemporaryDirectory()
        func fill(_ file: HDF5File) throws {
            try file.setAttribute("recipe", "lsa-1", at: "/")
            try file.write([Float](repeating: 0.25, count: 128 * 256), shape: [128, 256], at: "/model/W_Q")
            try file.write([Int64(1), 2], shape: [2], at: "/training/step")
            try file.write(["a", "bb"], at: "/names")
        }
        let direct = try HDF5File.create(directory.file("direct.h5"))
        try fill(direct)
        direct.close()
        try HDF5File.writeAtomically(to: directory.file("atomic.h5"), fill)
        let atomic = try Data(contentsOf: URL(fileURLWithPath: directory.file("atomic.h5")))
        #expect(atomic.count > 1 << 17, "should span several of the in-memory file's 64 KiB steps")
        #expect(atomic == (try Data(contentsOf: URL(fileURLWithPath: directory.file("direct.h5")))))
    }

    @Test func h5dumpReadsAWrittenFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("dump.h5")
        try HDF5File.writeAtomically(to: path) { file in
            try file.write([Float(1), 2, 3, 4], shape: [2, 2], at: "/model/W_KQ")
            try file.write(["a", "b"], at: "/names")
            try file.setAttribute("recipe", "lsa-1", at: "/")
            try file.setAttribute("seed", Int64(3), at: "/model")
        }
        let result = try Subprocess.run("h5dump", [path])
        #expect(result.status == 0, "h5dump failed: \(result.stderr)")
        #expect(result.stdout.contains("DATASET \"W_KQ\""))
        #expect(result.stdout.contains("\"lsa-1\""))
    }
}
