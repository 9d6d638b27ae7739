import Foundation
import ICLTestSupport

/// Runs the built command-line programs (they sit beside the test runner in .build/<configuration>/)
/// from the package root, so recipe paths like zoo/lsa-1.json resolve.
enum CLI {
    static let binaries: URL = {
        let runner = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: runner).deletingLastPathComponent()
        // The runner may be inside an .xctest bundle folder.
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("icl-zoo").path), url.path != "/" {
            url = url.deletingLastPathComponent()
        }
        return url
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ program: String, _ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = binaries.appendingPathComponent(program)
        process.arguments = arguments
        process.currentDirectoryURL = Python.packageRoot
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes before waiting, so a chatty program cannot block on a full pipe.
        final class Box: @unchecked Sendable { var data = Data() }
        let outBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outBox.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let outData = outBox.data
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    static func zoo(_ arguments: String...) throws -> Result { try run("icl-zoo", arguments) }
    static func analyze(_ arguments: String...) throws -> Result { try run("icl-analyze", arguments) }
}
