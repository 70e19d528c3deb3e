"""The HTTP surface: Starlette routes, HAL and error rendering, the OpenAPI document."""
