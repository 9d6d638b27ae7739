import CHDF5

/// Scalar attributes on groups and datasets (`/` is the root group). Setting replaces an attribute of
/// the same name; reading checks its type and that it holds exactly one value.
extension HDF5File {
    /// A variable-length UTF-8 string, so h5py reads it back as `str`, not `bytes`.
    public func setAttribute(_ name: String, _ value: String, at path: String) throws {
        silenceHDF5ErrorPrinting()
        let type = try variableLengthString(absolute(path))
        defer { H5Tclose(type) }
        try createAttribute(name, at: path, type: type) { attribute in
            value.withCString { characters in
                var pointer: UnsafePointer<CChar>? = characters
                return H5Awrite(attribute, type, &pointer)
            }
        }
    }

    /// Stored as little-endian int64.
    public func setAttribute(_ name: String, _ value: Int64, at path: String) throws {
        var value = value
        try createAttribute(name, at: path, type: chdf5_std_i64le()) { H5Awrite($0, chdf5_native_int64(), &value) }
    }

    /// Stored as little-endian float64.
    public func setAttribute(_ name: String, _ value: Double, at path: String) throws {
        var value = value
        try createAttribute(name, at: path, type: chdf5_ieee_f64le()) { H5Awrite($0, chdf5_native_double(), &value) }
    }

    /// The names of the object's attributes, sorted.
    public func attributeNames(at path: String) throws -> [String] {
        silenceHDF5ErrorPrinting()
        let path = absolute(path)
        return try withObject(path) { object in
            var info = H5O_info_t()
            guard H5Oget_info2(object, &info, UInt32(H5O_INFO_NUM_ATTRS)) >= 0 else {
                throw failure(path, "cannot count attributes")
            }
            return try (0..<info.num_attrs).map { index in
                try self.name(path, "cannot read attribute name") { buffer, size in
                    H5Aget_name_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, index, buffer, size, chdf5_default())
                }
            }.sorted()
        }
    }

    /// Reads a string attribute, variable-length (h5py's `str`) or fixed-length (h5py's `np.bytes_`).
    public func stringAttribute(_ name: String, at path: String) throws -> String {
        try readAttribute(name, at: path, accepting: [H5T_STRING], expected: "a string") { attribute, type, path in
            try readStrings(count: 1, fileType: type, path, what: "attribute '\(name)'") { memoryType, buffer in
                H5Aread(attribute, memoryType, buffer)
            }[0]
        }
    }

    /// Reads an integer attribute of any width (uint64 excepted: it may not fit).
    public func intAttribute(_ name: String, at path: String) throws -> Int64 {
        try readAttribute(name, at: path, accepting: [H5T_INTEGER], expected: "an integer") { attribute, _, path in
            var value: Int64 = 0
            guard H5Aread(attribute, chdf5_native_int64(), &value) >= 0 else {
                throw failure(path, "cannot read attribute '\(name)'")
            }
            return value
        }
    }

    /// Reads a float or integer attribute as Double.
    public func doubleAttribute(_ name: String, at path: String) throws -> Double {
        try readAttribute(name, at: path, accepting: [H5T_FLOAT, H5T_INTEGER], expected: "a number") {
            attribute, _, path in
            var value: Double = 0
            guard H5Aread(attribute, chdf5_native_double(), &value) >= 0 else {
                throw failure(path, "cannot read attribute '\(name)'")
            }
            return value
        }
    }

    private func createAttribute(_ name: String, at path: String, type: hid_t, write: (hid_t) -> herr_t) throws {
        silenceHDF5ErrorPrinting()
        let path = absolute(path)
        try withObject(path) { object in
            let present = H5Aexists(object, name)
            guard present >= 0, present == 0 || H5Adelete(object, name) >= 0 else {
                throw failure(path, "cannot replace attribute '\(name)'")
            }
            let space = H5Screate(H5S_SCALAR)
            guard space >= 0 else { throw failure(path, "cannot make dataspace for attribute '\(name)'") }
            defer { H5Sclose(space) }
            let attribute = H5Acreate2(object, name, type, space, chdf5_default(), chdf5_default())
            guard attribute >= 0 else { throw failure(path, "cannot create attribute '\(name)'") }
            defer { H5Aclose(attribute) }
            guard write(attribute) >= 0 else { throw failure(path, "cannot write attribute '\(name)'") }
        }
    }

    /// Opens attribute `name`, checks it holds one value of an accepted class, and hands `read` the
    /// attribute, its file type and the normalised path.
    private func readAttribute<Result>(
        _ name: String, at path: String, accepting classes: [H5T_class_t], expected: String,
        _ read: (hid_t, hid_t, String) throws -> Result
    ) throws -> Result {
        silenceHDF5ErrorPrinting()
        let path = absolute(path)
        let what = "attribute '\(name)'"
        return try withObject(path) { object in
            let present = H5Aexists(object, name)
            guard present >= 0 else { throw failure(path, "cannot look up \(what)") }
            guard present > 0 else { throw error(path, "missing \(what)") }
            let attribute = H5Aopen(object, name, chdf5_default())
            guard attribute >= 0 else { throw failure(path, "cannot open \(what)") }
            defer { H5Aclose(attribute) }
            let type = try checkedType(H5Aget_type(attribute), path, accepting: classes, what: what, expected: expected)
            defer { H5Tclose(type) }
            let count = try elementCount(H5Aget_space(attribute), path, what: what)
            guard count == 1 else { throw error(path, "\(what) holds \(count) values, expected one") }
            return try read(attribute, type, path)
        }
    }
}
