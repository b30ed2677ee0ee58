//! Socket.IO packets: codec and binary attachments.
