// HDF5 for Swift. Most of HDF5's constants (H5P_DEFAULT, H5T_NATIVE_FLOAT, H5F_ACC_TRUNC, ...) are
// macros that expand to a call of H5open() followed by a global variable, or to a cast; Swift's C
// importer only imports plain literal macros, so these would be missing. Each one ICLHDF5 uses is
// wrapped here in a static inline function, which Swift imports and calls like any other.
#ifndef CHDF5_SHIM_H
#define CHDF5_SHIM_H

#include <hdf5.h>

// Property lists and error stacks.
static inline hid_t chdf5_default(void) { return H5P_DEFAULT; }
static inline hid_t chdf5_error_stack_default(void) { return H5E_DEFAULT; }
static inline hid_t chdf5_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t chdf5_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t chdf5_dataset_create(void) { return H5P_DATASET_CREATE; }

// File access flags.
static inline unsigned chdf5_access_truncate(void) { return H5F_ACC_TRUNC; }
static inline unsigned chdf5_access_exclusive(void) { return H5F_ACC_EXCL; }
static inline unsigned chdf5_access_read_only(void) { return H5F_ACC_RDONLY; }
static inline unsigned chdf5_access_read_write(void) { return H5F_ACC_RDWR; }

// Memory types: what Swift's Float, Double, Int64 are on this machine.
static inline hid_t chdf5_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t chdf5_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t chdf5_native_int64(void) { return H5T_NATIVE_INT64; }

// File types: fixed little-endian layouts, so files read the same everywhere.
static inline hid_t chdf5_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t chdf5_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t chdf5_std_i64le(void) { return H5T_STD_I64LE; }

// Strings.
static inline hid_t chdf5_c_string(void) { return H5T_C_S1; }
static inline size_t chdf5_variable(void) { return H5T_VARIABLE; }

#endif
