import CHDF5

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An HDF5 file opened for writing (`create`, `writeAtomically`) or reading (`open`).
///
/// Strict on purpose: writing a dataset that already exists, reading a float dataset as integers,
/// or a missing object are errors, never silent conversions or defaults. Paths inside the file are
/// absolute (`/model/W_Q`); a path without the leading slash is taken from the root. Files are
/// opened with HDF5's "strong" close, so closing releases the file even if an object was left open.
/// Every call silences HDF5's stderr dump on its own thread.
public final class HDF5File {
    /// The file on disk; inside `writeAtomically`, the temporary file the in-memory file will be written to.
    public let path: String
    /// The name errors use: `path`, except inside `writeAtomically`, where it is the destination, not
    /// the temporary file the user never asked for.
    let displayPath: String
    /// Negative once closed.
    var fileID: hid_t
    /// When set, every non-empty array dataset written is stored as one chunk with HDF5's Fletcher32
    /// checksum, which HDF5 itself (so h5py and h5dump too) verifies on every read: a flipped bit
    /// becomes a read error instead of a wrong number.
    public var checksums = false
    /// The most values one read may declare (2^28); a dataset declaring more is an error before
    /// anything is allocated, so a damaged shape cannot exhaust memory.
    public static let maximumValues = 1 << 28

    private init(path: String, displayPath: String, fileID: hid_t) {
        self.path = path
        self.displayPath = displayPath
        self.fileID = fileID
    }

    deinit { close() }

    // MARK: Opening and closing

    /// Creates `path`, replacing any file there.
    public static func create(_ path: String) throws -> HDF5File {
        try create(path, displayPath: path)
    }

    private static func create(_ path: String, displayPath: String) throws -> HDF5File {
        silenceHDF5ErrorPrinting()
        let access = try fileAccess(displayPath)
        defer { H5Pclose(access) }
        let id = H5Fcreate(path, chdf5_access_truncate(), chdf5_default(), access)
        guard id >= 0 else { throw hdf5Failure(file: displayPath, path: "", "cannot create file") }
        return HDF5File(path: path, displayPath: displayPath, fileID: id)
    }

    /// Opens `path` read-only. Tells apart a missing file, a file that is not HDF5 at all, and an
    /// HDF5 file that is truncated or corrupt, because each asks for a different fix.
    public static func open(_ path: String) throws -> HDF5File {
        silenceHDF5ErrorPrinting()
        var status = stat()
        guard stat(path, &status) == 0 else {
            let reason = errno == ENOENT ? "no such file" : String(cString: strerror(errno))
            throw HDF5Error(file: path, path: "", message: reason)
        }
        switch status.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw HDF5Error(file: path, path: "", message: "is a directory, not an HDF5 file")
        // Opening a FIFO blocks until a writer comes, a device may never end: only regular files.
        default:
            throw HDF5Error(
                file: path, path: "", message: "is not a regular file (a FIFO, socket or device), not an HDF5 file")
        }
        let signature = H5Fis_hdf5(path)
        if signature < 0 { throw hdf5Failure(file: path, path: "", "cannot read file") }
        if signature == 0 {
            throw HDF5Error(file: path, path: "", message: "not an HDF5 file (no HDF5 signature)")
        }
        let access = try fileAccess(path)
        defer { H5Pclose(access) }
        let id = H5Fopen(path, chdf5_access_read_only(), access)
        guard id >= 0 else {
            let cause = hdf5Cause() ?? "unknown cause"
            let message: String
            if cause.contains("truncated") {
                message = "truncated HDF5 file, probably an interrupted write (HDF5: \(cause))"
            } else if cause.contains("lock") {
                message =
                    "locked, probably open for writing in another process (HDF5: \(cause)); "
                    + "HDF5_USE_FILE_LOCKING=FALSE skips the check"
            } else {
                message = "corrupt or unreadable HDF5 file (HDF5: \(cause))"
            }
            throw HDF5Error(file: path, path: "", message: message)
        }
        return HDF5File(path: path, displayPath: path, fileID: id)
    }

    /// Writes a whole file or nothing. `body` fills the file in memory (HDF5's core driver, no backing
    /// store); its bytes are then written to `<dir>/.<name>.tmp-<pid>-<random>` beside `path` (same
    /// folder, so the rename cannot cross file systems), flushed to disk and renamed over `path`. If
    /// anything fails, the temporary file is removed and an existing `path` is untouched, so a crash
    /// mid-training never leaves a half-written checkpoint under the real name.
    ///
    /// Why in memory: when HDF5 1.10.8 itself fails to write a file (full disk, file-size limit), its
    /// `H5Fclose` fails and leaves the file half-registered, and HDF5's exit-time cleanup then crashes
    /// the process. Here HDF5 never touches the disk; the disk writes are plain POSIX calls whose
    /// failures (ENOSPC, EFBIG with SIGXFSZ ignored) are ordinary errors.
    public static func writeAtomically(to path: String, _ body: (HDF5File) throws -> Void) throws {
        silenceHDF5ErrorPrinting()
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let random = String(UInt64.random(in: .min ... .max), radix: 16)
        let temporary = "\(directory)/.\(name).tmp-\(getpid())-\(random)"
        var status = stat()
        let folder = directory.isEmpty ? "/" : directory
        guard stat(folder, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
            throw HDF5Error(file: path, path: "", message: "cannot create file: no such folder \(folder)")
        }
        let image: [UInt8]
        do {  // a scope, so that `defer` closes the in-memory file before the bytes go to disk
            let file = try createInMemory(temporary, displayPath: path)
            defer { file.close() }
            try body(file)
            image = try file.imageReportingErrors()
            try file.closeReportingErrors()
        }
        do {
            try writeFile(image, to: temporary, displayPath: path)
            guard rename(temporary, path) == 0 else {
                let reason = String(cString: strerror(errno))
                throw HDF5Error(file: path, path: "", message: "cannot rename \(temporary) to it: \(reason)")
            }
            flushFolder(folder)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// A new, empty file that lives only in memory until `imageReportingErrors` copies it out.
    /// `path` is only its name for HDF5 (which tells open files apart by name): nothing is created there.
    private static func createInMemory(_ path: String, displayPath: String) throws -> HDF5File {
        let access = try fileAccess(displayPath)
        defer { H5Pclose(access) }
        // No backing store, so closing never writes to disk. The driver grows its buffer by this step
        // (linearly, copying as it goes): 1 MiB keeps files of a few MiB as fast to write as before
        // (64 KiB steps made a 2 MiB file ~3 ms slower) and costs small files nothing measurable.
        guard H5Pset_fapl_core(access, 1 << 20, false) >= 0 else {
            throw hdf5Failure(file: displayPath, path: "", "cannot make in-memory file access properties")
        }
        let id = H5Fcreate(path, chdf5_access_truncate(), chdf5_default(), access)
        guard id >= 0 else { throw hdf5Failure(file: displayPath, path: "", "cannot create file in memory") }
        return HDF5File(path: path, displayPath: displayPath, fileID: id)
    }

    /// The bytes of a complete HDF5 file: everything cached is flushed first. For in-memory files.
    private func imageReportingErrors() throws -> [UInt8] {
        silenceHDF5ErrorPrinting()
        let file = try openFile("")
        guard H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0 else { throw failure("", "cannot flush file in memory") }
        let size = H5Fget_file_image(file, nil, 0)
        guard size >= 0 else { throw failure("", "cannot get the file's image") }
        var copied = -1
        let image = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            copied = H5Fget_file_image(file, buffer.baseAddress, size)
            count = copied == size ? size : 0
        }
        guard copied == size else {
            if copied < 0 { throw failure("", "cannot get the file's image") }
            throw error("", "cannot get the file's image: \(copied) of \(size) bytes")
        }
        return image
    }

    /// Closes the file; later calls on it throw. Safe to call twice.
    public func close() {
        try? closeReportingErrors()
    }

    /// Closing writes HDF5's cached metadata, so it can fail; atomic writes must know.
    func closeReportingErrors() throws {
        silenceHDF5ErrorPrinting()
        guard fileID >= 0 else { return }
        let status = H5Fclose(fileID)
        fileID = -1
        if status < 0 { throw hdf5Failure(file: displayPath, path: "", "cannot close file") }
    }

    private static func fileAccess(_ displayPath: String) throws -> hid_t {
        let access = H5Pcreate(chdf5_file_access())
        guard access >= 0, H5Pset_fclose_degree(access, H5F_CLOSE_STRONG) >= 0 else {
            if access >= 0 { H5Pclose(access) }
            throw hdf5Failure(file: displayPath, path: "", "cannot make file access properties")
        }
        return access
    }

    // MARK: Groups and objects

    /// Creates the group and any missing parents; an existing group is fine, anything else there is not.
    public func createGroup(_ path: String) throws {
        silenceHDF5ErrorPrinting()
        let path = absolute(path)
        let file = try openFile(path)
        if path == "/" || isGroup(path) { return }
        if exists(path) { throw error(path, "exists and is not a group") }
        try checkParentsAreGroups(path)
        let linkCreation = try intermediateGroupCreation(path)
        defer { H5Pclose(linkCreation) }
        let group = H5Gcreate2(file, path, linkCreation, chdf5_default(), chdf5_default())
        guard group >= 0 else { throw failure(path, "cannot create group") }
        H5Gclose(group)
    }

    /// Whether an object exists at `path`; false (never an error) when a parent is missing or is a dataset.
    public func exists(_ path: String) -> Bool {
        silenceHDF5ErrorPrinting()
        guard fileID >= 0 else { return false }
        let components = absolute(path).split(separator: "/")
        var prefix = ""
        // H5Lexists fails, rather than answering false, when a parent is missing: walk down.
        for component in components {
            prefix += "/" + component
            guard H5Lexists(fileID, prefix, chdf5_default()) > 0 else { return false }
        }
        // A soft link to nothing exists as a link but not as an object.
        return components.isEmpty || H5Oexists_by_name(fileID, prefix, chdf5_default()) > 0
    }

    public func isGroup(_ path: String) -> Bool { objectType(absolute(path)) == H5I_GROUP }

    public func isDataset(_ path: String) -> Bool { objectType(absolute(path)) == H5I_DATASET }

    /// The names (not paths) of the group's members, sorted.
    public func children(of group: String) throws -> [String] {
        silenceHDF5ErrorPrinting()
        let path = absolute(group)
        return try withObject(path) { object in
            guard H5Iget_type(object) == H5I_GROUP else { throw error(path, "is a dataset, expected a group") }
            var info = H5G_info_t()
            guard H5Gget_info(object, &info) >= 0 else { throw failure(path, "cannot list group") }
            return try (0..<info.nlinks).map { index in
                try name(path, "cannot read member name") { buffer, size in
                    H5Lget_name_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, index, buffer, size, chdf5_default())
                }
            }.sorted()
        }
    }

    // MARK: Datasets

    /// Writes float32 data; `shape` is row-major (numpy's C order) and `[]` means a scalar.
    /// Creates missing parent groups; an existing dataset is an error, not overwritten.
    public func write(_ values: [Float], shape: [Int], at path: String) throws {
        try writeDataset(values, shape: shape, at: path, fileType: chdf5_ieee_f32le(), memoryType: chdf5_native_float())
    }

    /// Writes float64 data; see the float32 overload.
    public func write(_ values: [Double], shape: [Int], at path: String) throws {
        try writeDataset(
            values, shape: shape, at: path, fileType: chdf5_ieee_f64le(), memoryType: chdf5_native_double())
    }

    /// Writes int64 data; see the float32 overload.
    public func write(_ values: [Int64], shape: [Int], at path: String) throws {
        try writeDataset(values, shape: shape, at: path, fileType: chdf5_std_i64le(), memoryType: chdf5_native_int64())
    }

    /// Writes a 1-D dataset of variable-length UTF-8 strings, which h5py reads as `str` (after `.asstr()`).
    public func write(_ strings: [String], at path: String) throws {
        silenceHDF5ErrorPrinting()
        let type = try variableLengthString(absolute(path))
        defer { H5Tclose(type) }
        // HDF5 reads `char *` values; strdup keeps each alive through the write.
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        try writeDataset(copies, shape: [strings.count], at: path, fileType: type, memoryType: type)
    }

    /// The dataset's dimensions; `[]` for a scalar.
    public func shape(of path: String) throws -> [Int] {
        silenceHDF5ErrorPrinting()
        let path = absolute(path)
        let dataset = try openDataset(path)
        defer { H5Oclose(dataset) }
        return try extent(H5Dget_space(dataset), path, what: "dataset")
    }

    /// Reads float32 or float64 data as Float, row-major; any other type is an error.
    public func readFloats(_ path: String) throws -> [Float] {
        try readDataset(
            path, as: 0, memoryType: chdf5_native_float(), accepting: [H5T_FLOAT], expected: "floating-point")
    }

    /// Reads float32 or float64 data as Double, row-major; any other type is an error.
    public func readDoubles(_ path: String) throws -> [Double] {
        try readDataset(
            path, as: 0, memoryType: chdf5_native_double(), accepting: [H5T_FLOAT], expected: "floating-point")
    }

    /// Reads integer data of any width as Int64; floats are an error, not truncated.
    public func readInts(_ path: String) throws -> [Int64] {
        try readDataset(path, as: 0, memoryType: chdf5_native_int64(), accepting: [H5T_INTEGER], expected: "integer")
    }

    /// Reads a string dataset of any shape (variable- or fixed-length), row-major.
    public func readStrings(_ path: String) throws -> [String] {
        silenceHDF5ErrorPrinting()
        let path = absolute(path)
        let dataset = try openDataset(path)
        defer { H5Oclose(dataset) }
        let type = try checkedType(
            H5Dget_type(dataset), path, accepting: [H5T_STRING], what: "dataset", expected: "string")
        defer { H5Tclose(type) }
        let count = try elementCount(H5Dget_space(dataset), path, what: "dataset")
        return try readStrings(count: count, fileType: type, path, what: "dataset") { memoryType, buffer in
            H5Dread(dataset, memoryType, H5S_ALL, H5S_ALL, chdf5_default(), buffer)
        }
    }

    // MARK: Shared machinery

    private func writeDataset<Element>(
        _ values: [Element], shape: [Int], at path: String, fileType: hid_t, memoryType: hid_t
    ) throws {
        silenceHDF5ErrorPrinting()
        let path = absolute(path)
        precondition(shape.allSatisfy { $0 >= 0 }, "\(path): negative dimension in shape \(shape)")
        precondition(values.count == shape.reduce(1, *), "\(path): \(values.count) values for shape \(shape)")
        let file = try openFile(path)
        if exists(path) { throw error(path, "already exists; a dataset is written once") }
        try checkParentsAreGroups(path)
        let dimensions = shape.map { hsize_t($0) }
        let space = shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(shape.count), dimensions, nil)
        guard space >= 0 else { throw failure(path, "cannot make dataspace for shape \(shape)") }
        defer { H5Sclose(space) }
        let linkCreation = try intermediateGroupCreation(path)
        defer { H5Pclose(linkCreation) }
        let creation = H5Pcreate(chdf5_dataset_create())
        guard creation >= 0 else { throw failure(path, "cannot make dataset creation properties") }
        defer { H5Pclose(creation) }
        // One chunk of the whole array (HDF5 filters work on chunks only; an empty one has no data to check).
        if checksums, !shape.isEmpty, !values.isEmpty {
            guard H5Pset_chunk(creation, Int32(shape.count), dimensions) >= 0, H5Pset_fletcher32(creation) >= 0 else {
                throw failure(path, "cannot set up the checksum")
            }
        }
        let dataset = H5Dcreate2(file, path, fileType, space, linkCreation, creation, chdf5_default())
        guard dataset >= 0 else { throw failure(path, "cannot create dataset") }
        defer { H5Dclose(dataset) }
        if values.isEmpty { return }
        let status = values.withUnsafeBytes { buffer in
            H5Dwrite(dataset, memoryType, H5S_ALL, H5S_ALL, chdf5_default(), buffer.baseAddress)
        }
        guard status >= 0 else { throw failure(path, "cannot write dataset") }
    }

    private func readDataset<Element>(
        _ path: String, as zero: Element, memoryType: hid_t, accepting classes: [H5T_class_t], expected: String
    ) throws -> [Element] {
        silenceHDF5ErrorPrinting()
        let path = absolute(path)
        let dataset = try openDataset(path)
        defer { H5Oclose(dataset) }
        let type = try checkedType(H5Dget_type(dataset), path, accepting: classes, what: "dataset", expected: expected)
        H5Tclose(type)
        let count = try elementCount(H5Dget_space(dataset), path, what: "dataset")
        guard count <= HDF5File.maximumValues else {
            throw error(path, "declares \(count) values, more than the \(HDF5File.maximumValues) a read may hold")
        }
        if count == 0 { return [] }
        try requireStoredValues(dataset, path)
        var values = [Element](repeating: zero, count: count)
        let status = values.withUnsafeMutableBytes { buffer in
            H5Dread(dataset, memoryType, H5S_ALL, H5S_ALL, chdf5_default(), buffer.baseAddress)
        }
        guard status >= 0 else { throw failure(path, "cannot read dataset") }
        return values
    }

    /// A dataset created but never (or only partly) written reads as fill values that no checksum
    /// covers: refused. (HDF5 1.10 reports a filtered dataset as "partly allocated" even when whole,
    /// so chunks are counted instead.)
    private func requireStoredValues(_ dataset: hid_t, _ path: String) throws {
        var allocation = H5D_SPACE_STATUS_ERROR
        guard H5Dget_space_status(dataset, &allocation) >= 0 else {
            throw failure(path, "cannot read the dataset's storage status")
        }
        guard allocation != H5D_SPACE_STATUS_NOT_ALLOCATED else {
            throw error(path, "holds no stored values (created but never written)")
        }
        let creation = H5Dget_create_plist(dataset)
        guard creation >= 0 else { throw failure(path, "cannot read the dataset's storage properties") }
        defer { H5Pclose(creation) }
        guard H5Pget_layout(creation) == H5D_CHUNKED else { return }
        let shape = try extent(H5Dget_space(dataset), path, what: "dataset")
        var chunk = [hsize_t](repeating: 0, count: shape.count)
        guard H5Pget_chunk(creation, Int32(shape.count), &chunk) == Int32(shape.count), chunk.allSatisfy({ $0 > 0 })
        else {
            throw failure(path, "cannot read the dataset's chunk shape")
        }
        let expected = zip(shape, chunk).reduce(1.0) { $0 * (Double($1.0) / Double($1.1)).rounded(.up) }
        let space = H5Dget_space(dataset)
        guard space >= 0 else { throw failure(path, "cannot read the dataset's dataspace") }
        defer { H5Sclose(space) }
        var stored: hsize_t = 0
        guard H5Dget_num_chunks(dataset, space, &stored) >= 0 else {
            throw failure(path, "cannot count the dataset's chunks")
        }
        guard Double(stored) == expected else {
            throw error(path, "holds \(stored) of its \(Int(expected)) chunks of values (partly written)")
        }
    }

    /// Takes ownership of `type` (a dataset's or attribute's); returns it if its class is one of
    /// `classes`, else closes it and throws. uint64 is refused: it does not fit Int64, and HDF5 would
    /// clamp large values without a word.
    func checkedType(
        _ type: hid_t, _ path: String, accepting classes: [H5T_class_t], what: String, expected: String
    ) throws -> hid_t {
        guard type >= 0 else { throw failure(path, "cannot read the \(what)'s type") }
        let typeClass = H5Tget_class(type)
        let unsignedWide = typeClass == H5T_INTEGER && H5Tget_sign(type) == H5T_SGN_NONE && H5Tget_size(type) >= 8
        guard classes.contains(typeClass), !unsignedWide else {
            let found = typeDescription(type)
            H5Tclose(type)
            throw error(path, "\(what) is \(found), expected \(expected)")
        }
        return type
    }

    private func typeDescription(_ type: hid_t) -> String {
        let bits = H5Tget_size(type) * 8
        switch H5Tget_class(type) {
        case H5T_INTEGER: return H5Tget_sign(type) == H5T_SGN_NONE ? "uint\(bits)" : "int\(bits)"
        case H5T_FLOAT: return "float\(bits)"
        case H5T_STRING: return "a string"
        case H5T_COMPOUND: return "a compound type"
        case let other: return "an unsupported type (HDF5 class \(other.rawValue))"
        }
    }

    /// Reads `count` strings stored as `fileType`. Variable-length ones arrive in memory HDF5
    /// allocated, freed here; fixed-length ones may fill their field with no terminator.
    func readStrings(
        count: Int, fileType: hid_t, _ path: String, what: String, read: (hid_t, UnsafeMutableRawPointer) -> herr_t
    ) throws -> [String] {
        guard count <= HDF5File.maximumValues else {
            throw error(
                path, "\(what) declares \(count) strings, more than the \(HDF5File.maximumValues) a read may hold")
        }
        let variable = H5Tis_variable_str(fileType)
        guard variable >= 0 else { throw failure(path, "cannot read the \(what)'s string type") }
        if variable > 0 {
            let memoryType = try variableLengthString(path)
            defer { H5Tclose(memoryType) }
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            defer { pointers.forEach { H5free_memory($0) } }
            let status = pointers.withUnsafeMutableBytes { read(memoryType, $0.baseAddress!) }
            guard status >= 0 else { throw failure(path, "cannot read \(what)") }
            return pointers.map { $0.map { String(cString: $0) } ?? "" }
        }
        let size = H5Tget_size(fileType)
        guard size <= 1 << 24, count <= (1 << 24) / max(size, 1) else {
            throw error(path, "\(what) declares \(count) strings of \(size) bytes, more than 16 MiB")
        }
        let memoryType = H5Tcopy(fileType)
        guard size > 0, memoryType >= 0 else { throw failure(path, "cannot read the \(what)'s string type") }
        defer { H5Tclose(memoryType) }
        var bytes = [UInt8](repeating: 0, count: count * size + 1)
        let status = bytes.withUnsafeMutableBytes { read(memoryType, $0.baseAddress!) }
        guard status >= 0 else { throw failure(path, "cannot read \(what)") }
        let spacePadded = H5Tget_strpad(fileType) == H5T_STR_SPACEPAD
        return (0..<count).map { index in
            var field = bytes[index * size..<(index + 1) * size]
            if let end = field.firstIndex(of: 0) { field = field[..<end] }
            if spacePadded { while field.last == 0x20 { field = field.dropLast() } }
            return String(decoding: field, as: UTF8.self)
        }
    }

    /// A UTF-8 variable-length string type: what h5py writes for `str` and reads back as `str`.
    func variableLengthString(_ path: String) throws -> hid_t {
        let type = H5Tcopy(chdf5_c_string())
        guard type >= 0, H5Tset_size(type, chdf5_variable()) >= 0, H5Tset_cset(type, H5T_CSET_UTF8) >= 0 else {
            if type >= 0 { H5Tclose(type) }
            throw failure(path, "cannot make string type")
        }
        return type
    }

    func absolute(_ path: String) -> String { path.hasPrefix("/") ? path : "/" + path }

    func error(_ path: String, _ message: String) -> HDF5Error {
        HDF5Error(file: displayPath, path: path, message: message)
    }

    func failure(_ path: String, _ message: String) -> HDF5Error {
        hdf5Failure(file: displayPath, path: path, message)
    }

    func openFile(_ path: String) throws -> hid_t {
        guard fileID >= 0 else { throw error(path, "file is closed") }
        return fileID
    }

    /// Opens the group or dataset at `path` for `body`, closing it afterwards.
    func withObject<Result>(_ path: String, _ body: (hid_t) throws -> Result) throws -> Result {
        let file = try openFile(path)
        guard exists(path) else { throw error(path, "missing group or dataset") }
        let object = H5Oopen(file, path, chdf5_default())
        guard object >= 0 else { throw failure(path, "cannot open") }
        defer { H5Oclose(object) }
        return try body(object)
    }

    private func openDataset(_ path: String) throws -> hid_t {
        let file = try openFile(path)
        guard exists(path) else { throw error(path, "missing dataset") }
        let dataset = H5Oopen(file, path, chdf5_default())
        guard dataset >= 0 else { throw failure(path, "cannot open dataset") }
        guard H5Iget_type(dataset) == H5I_DATASET else {
            H5Oclose(dataset)
            throw error(path, "is a group, expected a dataset")
        }
        return dataset
    }

    private func objectType(_ path: String) -> H5I_type_t? {
        guard exists(path) else { return nil }
        let object = H5Oopen(fileID, path, chdf5_default())
        guard object >= 0 else { return nil }
        defer { H5Oclose(object) }
        return H5Iget_type(object)
    }

    /// HDF5's own complaint about a dataset in the way is "message type not found"; say it plainly.
    private func checkParentsAreGroups(_ path: String) throws {
        var parent = ""
        for component in path.split(separator: "/").dropLast() {
            parent += "/" + component
            if !exists(parent) { return }
            if !isGroup(parent) { throw error(path, "cannot create: \(parent) is a dataset, not a group") }
        }
    }

    private func intermediateGroupCreation(_ path: String) throws -> hid_t {
        let properties = H5Pcreate(chdf5_link_create())
        guard properties >= 0, H5Pset_create_intermediate_group(properties, 1) >= 0 else {
            if properties >= 0 { H5Pclose(properties) }
            throw failure(path, "cannot make link creation properties")
        }
        return properties
    }

    /// Takes ownership of `space` and returns its dimensions; `[]` for a scalar.
    func extent(_ space: hid_t, _ path: String, what: String) throws -> [Int] {
        guard space >= 0 else { throw failure(path, "cannot read the \(what)'s dataspace") }
        defer { H5Sclose(space) }
        switch H5Sget_simple_extent_type(space) {
        case H5S_SCALAR: return []
        case H5S_SIMPLE: break
        default: throw error(path, "\(what) has an empty (null) dataspace, expected values")
        }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0 else { throw failure(path, "cannot read the \(what)'s rank") }
        var dimensions = [hsize_t](repeating: 0, count: Int(rank))
        guard H5Sget_simple_extent_dims(space, &dimensions, nil) >= 0 else {
            throw failure(path, "cannot read the \(what)'s dimensions")
        }
        return try dimensions.map { dimension in
            guard let size = Int(exactly: dimension) else {
                throw error(path, "\(what) dimension \(dimension) is too large")
            }
            return size
        }
    }

    /// Takes ownership of `space`; the number of values it holds, checked against overflow.
    func elementCount(_ space: hid_t, _ path: String, what: String) throws -> Int {
        try extent(space, path, what: what).reduce(1) { count, dimension in
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw error(path, "\(what) holds too many values to read") }
            return product
        }
    }

    /// Reads a name through HDF5's two-call protocol: ask for the length, then fill a buffer.
    func name(_ path: String, _ message: String, _ get: (UnsafeMutablePointer<CChar>?, Int) -> Int) throws -> String {
        let length = get(nil, 0)
        guard length >= 0 else { throw failure(path, message) }
        var buffer = [CChar](repeating: 0, count: length + 1)
        guard get(&buffer, buffer.count) >= 0 else { throw failure(path, message) }
        return String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A rename is durable once its folder is flushed too (a power cut could undo it otherwise); best
/// effort, as some file systems refuse to flush a folder. At file scope for the same reason as `writeFile`.
private func flushFolder(_ folder: String) {
    let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else { return }
    fsync(descriptor)
    close(descriptor)
}

/// Writes `bytes` to the new file `path` and makes them durable (fsync) before a rename publishes it.
/// At file scope because inside `HDF5File`, `open` and `close` name its own methods. Errors name
/// `displayPath`, the file the user asked for; the caller removes `path` on failure.
private func writeFile(_ bytes: [UInt8], to path: String, displayPath: String) throws {
    func failure(_ what: String) -> HDF5Error {
        HDF5Error(file: displayPath, path: "", message: "\(what): \(String(cString: strerror(errno)))")
    }
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard descriptor >= 0 else { throw failure("cannot create temporary file \(path)") }
    var closed = false
    defer { if !closed { close(descriptor) } }
    try bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 && errno == EINTR { continue }
            guard written >= 0 else { throw failure("cannot write") }
            // A short write (the disk filled up, the size limit was hit) is retried with the rest, so
            // that the next call reports why; one that writes nothing at all is a failure by itself.
            guard written > 0 else {
                throw HDF5Error(
                    file: displayPath, path: "",
                    message: "cannot write: no progress after \(offset) of \(buffer.count) bytes")
            }
            offset += written
        }
    }
    guard fsync(descriptor) == 0 else { throw failure("cannot flush \(path) to disk") }
    closed = true
    guard close(descriptor) == 0 else { throw failure("cannot close \(path)") }
}
