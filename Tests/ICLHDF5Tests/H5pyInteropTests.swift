import ICLHDF5
import ICLTestSupport
import Testing

/// h5py is the reader our users have: files must round-trip through it both ways.
@Suite struct H5pyInteropTests {
    @Test func h5pyReadsWhatSwiftWrites() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("swift.h5")
        try HDF5File.writeAtomically(to: path) { file in
            try file.write([Float(1), 2, 3, 4, 5, 6], shape: [2, 3], at: "/model/layer_0/W_Q")
            try file.write([Double(0.5), -1.5], shape: [2], at: "/model/bias")
            try file.write([Int64(123_456_789_012)], shape: [], at: "/step")
            try file.write(["W_Q", "ünïcødé"], at: "/names")
            try file.setAttribute("recipe", "lsa-1 η", at: "/")
            try file.setAttribute("format_version", Int64(1), at: "/")
            try file.setAttribute("eta", 0.125, at: "/model")
        }
        let result = try Python.run(
            """
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], "r") as f:
                assert sorted(f.keys()) == ["model", "names", "step"], list(f.keys())
                assert isinstance(f["model"], h5py.Group) and isinstance(f["model/layer_0"], h5py.Group)
                w = f["model/layer_0/W_Q"]
                assert w.dtype == np.float32 and w.shape == (2, 3), (w.dtype, w.shape)
                assert (w[()] == np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float32)).all(), w[()]
                b = f["model/bias"]
                assert b.dtype == np.float64 and b.shape == (2,) and list(b[()]) == [0.5, -1.5], b[()]
                s = f["step"]
                assert s.dtype == np.int64 and s.shape == () and s[()] == 123456789012, s[()]
                assert list(f["names"].asstr()[()]) == ["W_Q", "ünïcødé"], f["names"][()]
                recipe = f.attrs["recipe"]
                assert type(recipe) is str and recipe == "lsa-1 η", repr(recipe)
                version = f.attrs["format_version"]
                assert version.dtype == np.int64 and version == 1, repr(version)
                eta = f["model"].attrs["eta"]
                assert eta.dtype == np.float64 and eta == 0.125, repr(eta)
            print("ok")
            """, arguments: [path])
        #expect(result.status == 0, "h5py check failed:\n\(result.stderr)")
        #expect(result.stdout == "ok\n")
    }

    @Test func swiftReadsWhatH5pyWrites() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("h5py.h5")
        let result = try Python.run(
            """
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], "w") as f:
                f.create_dataset("model/layer_0/W_Q", data=np.arange(6, dtype=np.float32).reshape(2, 3) / 4)
                f.create_dataset("model/bias", data=np.array([0.1, -0.2], dtype=np.float64))
                f.create_dataset("step", data=np.int64(-5))
                f.create_dataset("counts", data=np.array([1, 2, 3], dtype=np.int32))
                f.create_dataset("chunked", data=np.ones((4, 5), dtype=np.float32), chunks=(2, 5), compression="gzip")
                f.create_dataset("names", data=["W_Q", "P"])
                f.attrs["recipe"] = "lsa-1 η"
                f.attrs["fixed"] = np.bytes_(b"gd++")
                f.attrs["format_version"] = 2
                f.attrs["small"] = np.int8(-3)
                f["model"].attrs["eta"] = 0.75
            """, arguments: [path])
        #expect(result.status == 0, "h5py write failed:\n\(result.stderr)")

        let file = try HDF5File.open(path)
        #expect(try file.children(of: "/") == ["chunked", "counts", "model", "names", "step"])
        #expect(file.isGroup("/model/layer_0"))
        #expect(try file.shape(of: "/model/layer_0/W_Q") == [2, 3])
        #expect(try file.readFloats("/model/layer_0/W_Q") == [0, 0.25, 0.5, 0.75, 1, 1.25])
        #expect(try file.readDoubles("/model/bias") == [0.1, -0.2])
        #expect(try file.shape(of: "/step") == [])
        #expect(try file.readInts("/step") == [-5])
        #expect(try file.readInts("/counts") == [1, 2, 3])
        #expect(try file.readFloats("/chunked") == [Float](repeating: 1, count: 20))
        #expect(try file.readStrings("/names") == ["W_Q", "P"])
        #expect(try file.attributeNames(at: "/") == ["fixed", "format_version", "recipe", "small"])
        #expect(try file.stringAttribute("recipe", at: "/") == "lsa-1 η")
        #expect(try file.stringAttribute("fixed", at: "/") == "gd++")
        #expect(try file.intAttribute("format_version", at: "/") == 2)
        #expect(try file.intAttribute("small", at: "/") == -3)
        #expect(try file.doubleAttribute("eta", at: "/model") == 0.75)
    }

    @Test func uint64IsRefusedRatherThanClamped() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("unsigned.h5")
        let result = try Python.run(
            """
            import sys, h5py, numpy as np
            with h5py.File(sys.argv[1], "w") as f:
                f.create_dataset("big", data=np.array([2**63 + 1], dtype=np.uint64))
            """, arguments: [path])
        #expect(result.status == 0, "h5py write failed:\n\(result.stderr)")
        let error = try #require(throws: HDF5Error.self) { try HDF5File.open(path).readInts("/big") }
        #expect(error.description == "\(path): /big: dataset is uint64, expected integer")
    }
}
