"""The server-rendered portal (数据服务门户), in Chinese."""
