// SPDX-License-Identifier: BSD-2-Clause
#include "khyve/vmlinux.h"

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PROTOCOL_PAYLOAD 0x0208 /* payload_offset, payload_length */
#define SIZE_TRAILER 4		/* the build appends the unpacked size, 32-bit LE */

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

int bzimage_setup(const uint8_t *bz, size_t len, struct setup_header *h, size_t *setup_len,
		  char *err, size_t errlen)
{
	if (len < 0x1000)
		return ERR("not a Linux bzImage (file too small)");
	memcpy(h, bz + BZIMAGE_HDR_OFF, sizeof(*h));
	if (h->header != BZIMAGE_HDRS_MAGIC || h->boot_flag != 0xaa55)
		return ERR("not a Linux bzImage (no HdrS signature) nor an ELF vmlinux");
	*setup_len = ((h->setup_sects ? h->setup_sects : 4) + 1) * 512ull;
	if (*setup_len >= len)
		return ERR("corrupt bzImage: setup larger than the file");
	return 0;
}

int bzimage_find_payload(const uint8_t *bz, size_t len, struct bzimage_payload *out, char *err,
			 size_t errlen)
{
	struct setup_header h;
	size_t setup_len;
	int rc = bzimage_setup(bz, len, &h, &setup_len, err, errlen);
	if (rc < 0)
		return rc;
	if (h.version < PROTOCOL_PAYLOAD)
		return ERR("boot protocol %u.%02u does not locate the payload", h.version >> 8,
			   h.version & 0xff);
	uint64_t off = (uint64_t)setup_len + h.payload_offset;
	if (h.payload_length <= SIZE_TRAILER || off > len || h.payload_length > len - off)
		return ERR("the payload (offset %u, %u bytes) is not inside the file",
			   h.payload_offset, h.payload_length);
	out->off = (size_t)off;
	out->len = h.payload_length;
	memcpy(&out->unpacked_len, bz + off + h.payload_length - SIZE_TRAILER, SIZE_TRAILER);
	return 0;
}

bool vmlinux_is_elf(const uint8_t *file, size_t len)
{
	return len >= SELFMAG && memcmp(file, ELFMAG, SELFMAG) == 0;
}

int vmlinux_parse(const uint8_t *head, size_t head_len, uint64_t file_len, uint64_t min_gpa,
		  uint64_t max_gpa, struct vmlinux *out, char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	if (head_len < sizeof(eh) || file_len < head_len)
		return ERR("not an ELF image (too short)");
	memcpy(&eh, head, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return ERR("not a 64-bit little-endian ELF image");
	if (eh.e_machine != EM_X86_64 || eh.e_type != ET_EXEC)
		return ERR("not an x86-64 executable (machine %u, type %u)", eh.e_machine,
			   eh.e_type);
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phoff > head_len ||
	    eh.e_phnum > (head_len - eh.e_phoff) / sizeof(Elf64_Phdr))
		return ERR("program headers (%u at %#llx) not in the image's first %zu bytes",
			   eh.e_phnum, (unsigned long long)eh.e_phoff, head_len);
	memset(out, 0, sizeof(*out));
	bool entry_ok = false;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, head + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (out->nseg == VMLINUX_MAX_SEGS)
			return ERR("more than %d loadable segments", VMLINUX_MAX_SEGS);
		if (ph.p_filesz > ph.p_memsz || ph.p_offset > file_len ||
		    ph.p_filesz > file_len - ph.p_offset)
			return ERR(
			    "segment %u (%#llx bytes at offset %#llx) is not inside the file", i,
			    (unsigned long long)ph.p_filesz, (unsigned long long)ph.p_offset);
		if (ph.p_paddr < min_gpa || ph.p_paddr > max_gpa ||
		    ph.p_memsz > max_gpa - ph.p_paddr)
			return ERR("segment %u (%#llx bytes at %#llx) is outside guest memory "
				   "[%#llx, %#llx)",
				   i, (unsigned long long)ph.p_memsz,
				   (unsigned long long)ph.p_paddr, (unsigned long long)min_gpa,
				   (unsigned long long)max_gpa);
		out->seg[out->nseg++] = (struct vmlinux_seg){.gpa = ph.p_paddr,
							     .off = ph.p_offset,
							     .filesz = ph.p_filesz,
							     .memsz = ph.p_memsz};
		if (ph.p_paddr + ph.p_memsz > out->end)
			out->end = ph.p_paddr + ph.p_memsz;
		if (eh.e_entry >= ph.p_paddr && eh.e_entry - ph.p_paddr < ph.p_memsz)
			entry_ok = true;
	}
	if (out->nseg == 0)
		return ERR("no loadable segment");
	if (!entry_ok)
		return ERR("entry point %#llx is in no loadable segment",
			   (unsigned long long)eh.e_entry);
	out->entry = eh.e_entry;
	return 0;
}

int vmlinux_zero_tails(const struct gmem *m, const struct vmlinux *v)
{
	for (unsigned i = 0; i < v->nseg; i++) {
		const struct vmlinux_seg *s = &v->seg[i];
		uint64_t n = s->memsz - s->filesz;
		uint8_t *p = n ? gmem_ptr(m, s->gpa + s->filesz, n) : NULL;
		if (n && p == NULL)
			return -EFAULT;
		if (n)
			memset(p, 0, n);
	}
	return 0;
}

int vmlinux_load_buf(const struct gmem *m, const struct vmlinux *v, const uint8_t *file)
{
	for (unsigned i = 0; i < v->nseg; i++) {
		const struct vmlinux_seg *s = &v->seg[i];
		if (gmem_write(m, s->gpa, file + s->off, s->filesz))
			return -EFAULT;
	}
	return vmlinux_zero_tails(m, v);
}

int vmlinux_load_fd(const struct gmem *m, const struct vmlinux *v, int fd)
{
	for (unsigned i = 0; i < v->nseg; i++) {
		const struct vmlinux_seg *s = &v->seg[i];
		uint8_t *p = gmem_ptr(m, s->gpa, s->filesz);
		if (p == NULL && s->filesz)
			return -EFAULT;
		for (uint64_t done = 0; done < s->filesz;) {
			ssize_t n = pread(fd, p + done, s->filesz - done, (off_t)(s->off + done));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -errno;
			if (n == 0)
				return -EIO;
			done += (uint64_t)n;
		}
	}
	return vmlinux_zero_tails(m, v);
}
