/* SPDX-License-Identifier: GPL-2.0 */
/*
 * media_dir.h - the direction of a media stream (RFC 3264 §5.1, §6.1), as
 * an SDP says it and as a media session forwards it: the one word sdp/ and
 * media/ share, so neither depends on the other.
 */
#ifndef XR_MEDIA_DIR_H
#define XR_MEDIA_DIR_H

/*
 * a=sendrecv (the default), a=sendonly, a=recvonly, a=inactive.  Packets
 * go from side X to side Y when X's direction lets it send (sendrecv,
 * sendonly) and Y's lets it receive (sendrecv, recvonly).
 */
enum media_dir { MEDIA_SENDRECV, MEDIA_SENDONLY, MEDIA_RECVONLY, MEDIA_INACTIVE };

#endif /* XR_MEDIA_DIR_H */
