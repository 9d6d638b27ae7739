import Foundation
import ICLTestSupport
import Testing

@testable import ICLHDF5

/// Every error names the file, the object inside it, and what was wrong.
@Suite struct HDF5ErrorTests {
    @Test func missingFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("absent.h5")
        let error = try #require(throws: HDF5Error.self) { try HDF5File.open(path) }
        #expect(error.description == "\(path): no such file")
    }

    @Test func fileThatIsNotHDF5() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("notes.h5")
        try "these are not the weights you are looking for\n".write(toFile: path, atomically: false, encoding: .utf8)
        let error = try #require(throws: HDF5Error.self) { try HDF5File.open(path) }
        #expect(error.description == "\(path): not an HDF5 file (no HDF5 signature)")
    }

    @Test func directoryInsteadOfAFile() throws {
        let directory = try TemporaryDirectory()
        let error = try #require(throws: HDF5Error.self) { try HDF5File.open(directory.path) }
        #expect(error.description == "\(directory.path): is a directory, not an HDF5 file")
    }

    @Test func truncatedFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("cut.h5")
        try HDF5File.writeAtomically(to: path) { file in
            try file.write([Float](repeating: 0.5, count: 1000), shape: [10, 100], at: "/model/W_Q")
            try file.setAttribute("recipe", "lsa-1", at: "/")
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: HDF5Error.self) { try HDF5File.open(path) }
        #expect(error.file == path && error.path == "")
        #expect(error.description.hasPrefix("\(path): truncated HDF5 file"), "\(error)")
        let lines = error.description.split(whereSeparator: \.isNewline)
        #expect(lines.count == 1, "not one line: \(error)")
    }

    /// HDF5's I/O errors embed ctime(), which ends in a newline; errors are printed on one line.
    @Test func hdf5CausesAreJoinedIntoOneLine() {
        let cause = "file write failed: time = Mon Nov 23 10:30:12 2026\n, filename = 'x.h5', errno = 27\n"
        #expect(oneLine(cause) == "file write failed: time = Mon Nov 23 10:30:12 2026 , filename = 'x.h5', errno = 27")
        #expect(oneLine("a\r\nb") == "a b")
        #expect(oneLine("plain") == "plain")
    }

    @Test func creatingInAMissingFolder() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("no/such/folder/model.h5")
        let error = try #require(throws: HDF5Error.self) { try HDF5File.create(path) }
        #expect(error.description.hasPrefix("\(path): cannot create file"), "\(error)")
        let atomic = try #require(throws: HDF5Error.self) { try HDF5File.writeAtomically(to: path) { _ in } }
        #expect(atomic.description == "\(path): cannot create file: no such folder \(directory.path)/no/such/folder")
    }

    @Test func missingObjects() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("model.h5")
        try HDF5File.writeAtomically(to: path) { file in
            try file.createGroup("/model/layer_0/attention/head_0")
        }
        let file = try HDF5File.open(path)
        let dataset = try #require(throws: HDF5Error.self) {
            try file.readFloats("/model/layer_0/attention/head_0/W_Q")
        }
        #expect(dataset.description == "\(path): /model/layer_0/attention/head_0/W_Q: missing dataset")
        let below = try #require(throws: HDF5Error.self) { try file.shape(of: "/model/layer_9/W_Q") }
        #expect(below.description == "\(path): /model/layer_9/W_Q: missing dataset")
        let group = try #require(throws: HDF5Error.self) { try file.children(of: "/optimizer") }
        #expect(group.description == "\(path): /optimizer: missing group or dataset")
        let attribute = try #require(throws: HDF5Error.self) { try file.stringAttribute("recipe", at: "/model") }
        #expect(attribute.description == "\(path): /model: missing attribute 'recipe'")
    }

    @Test func wrongKinds() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("kinds.h5")
        try HDF5File.writeAtomically(to: path) { file in
            try file.write([Int64(1), 2], shape: [2], at: "/steps")
            try file.write([Float(1)], shape: [1], at: "/model/P")
            try file.write(["a"], at: "/names")
            try file.setAttribute("format_version", Int64(1), at: "/")
        }
        let file = try HDF5File.open(path)
        let stringFromInt = try #require(throws: HDF5Error.self) { try file.stringAttribute("format_version", at: "/") }
        #expect(stringFromInt.description == "\(path): /: attribute 'format_version' is int64, expected a string")
        let floatsFromInts = try #require(throws: HDF5Error.self) { try file.readFloats("/steps") }
        #expect(floatsFromInts.description == "\(path): /steps: dataset is int64, expected floating-point")
        let intsFromFloats = try #require(throws: HDF5Error.self) { try file.readInts("/model/P") }
        #expect(intsFromFloats.description == "\(path): /model/P: dataset is float32, expected integer")
        let floatsFromStrings = try #require(throws: HDF5Error.self) { try file.readDoubles("/names") }
        #expect(floatsFromStrings.description == "\(path): /names: dataset is a string, expected floating-point")
        let writer = try HDF5File.create(directory.file("writer.h5"))
        try writer.write([Float(1)], shape: [1], at: "/model/P")
        let underDataset = try #require(throws: HDF5Error.self) {
            try writer.write([Float(1)], shape: [1], at: "/model/P/x/y")
        }
        #expect(
            underDataset.description.hasSuffix(
                "writer.h5: /model/P/x/y: cannot create: /model/P is a dataset, not a group"))
        let datasetFromGroup = try #require(throws: HDF5Error.self) { try file.readFloats("/model") }
        #expect(datasetFromGroup.description == "\(path): /model: is a group, expected a dataset")
    }
}
